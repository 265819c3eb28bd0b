namespace Cria.Tensors;

/// <summary>
/// Packed, register-blocked fp32 matrix multiplication for training: C[m, n] = op(A)·op(B), or C += op(A)·op(B),
/// where op(A) is [m, k] and op(B) is [k, n], either operand stored transposed. K is cut into blocks of at most
/// <see cref="KcMax"/> (a B panel of kc × nc is packed once and shared by all threads), M into blocks of about
/// <see cref="McMax"/> rows (each thread packs its own A block), and the tiles are computed by
/// <see cref="GemmKernels"/>. Each element of C is one fused multiply-add chain over k in order, starting from C
/// (accumulate) or zero, and is written by one thread: the result is the same bits whatever the thread count, the
/// blocking or the SIMD width.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>K-block: a kc × 32 B sliver (32 KB) stays in the 48 KB L1d while A slivers stream from L2.</summary>
    public const int KcMax = 320;

    /// <summary>M-block: mc × kc of packed A (~170 KB) stays in the 2 MB L2.</summary>
    public const int McMax = 168;

    /// <summary>N-block: the shared B panel, kc × nc (~4 MB), lives in L2/L3.</summary>
    public const int NcMax = 8192;

    [ThreadStatic] private static GemmJob? _job;

    /// <summary>
    /// C = op(A)·op(B) (or C += when <paramref name="accumulate"/>). op(A)[i, p] = a[i·lda + p], or a[p·lda + i]
    /// when <paramref name="transA"/>; op(B)[p, j] = b[p·ldb + j], or b[j·ldb + p] when <paramref name="transB"/>;
    /// C[i, j] = c[i·ldc + j]. A null <paramref name="pool"/> runs on the calling thread (for use inside another
    /// parallel loop: each thread keeps its own packing buffers).
    /// </summary>
    public static void Multiply(WorkerPool? pool, int m, int n, int k, float* a, long lda, bool transA,
        float* b, long ldb, bool transB, float* c, long ldc, bool accumulate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<float>(c + i * ldc, n).Clear();
            return;
        }
        GemmJob job = _job ??= new GemmJob();
        job.Run(pool, m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate);
    }

    /// <summary>y[n, rows] = x[n, k]·Wᵀ for W [rows, k] (a linear layer's forward).</summary>
    public static void XWt(WorkerPool pool, float* x, int n, int k, float* w, int rows, float* y, bool accumulate = false) =>
        Multiply(pool, n, rows, k, x, k, false, w, k, true, y, rows, accumulate);

    /// <summary>dx[n, k] (+)= dy[n, rows]·W for W [rows, k] (a linear layer's input gradient).</summary>
    public static void DyW(WorkerPool pool, float* dy, int n, float* w, int rows, int k, float* dx, bool accumulate = false) =>
        Multiply(pool, n, k, rows, dy, rows, false, w, k, false, dx, k, accumulate);

    /// <summary>dW[rows, k] += dy[n, rows]ᵀ·x[n, k] (a linear layer's weight gradient).</summary>
    public static void DytX(WorkerPool pool, float* dy, float* x, int n, int rows, int k, float* dw) =>
        Multiply(pool, rows, k, n, dy, rows, true, x, k, false, dw, k, true);

    /// <summary>One multiplication's shape and the reusable delegates and B panel of the calling thread.</summary>
    private sealed class GemmJob
    {
        [ThreadStatic] private static AlignedBuffer? _aBuffer;

        private readonly AlignedBuffer _bPanel = new();
        private readonly Action<int> _packB, _compute;
        private delegate*<float*, float*, int, float*, long, bool, void> _kernel;
        private int _mr, _nr, _m, _n, _mc, _kc, _p0, _j0, _nc, _slivers, _mBlocks, _jParts, _sliversPerPart;
        private float* _a, _b, _c, _bp;
        private long _lda, _ldb, _ldc;
        private bool _transA, _transB, _load;

        public GemmJob()
        {
            _packB = PackB;
            _compute = Compute;
        }

        public void Run(WorkerPool? pool, int m, int n, int k, float* a, long lda, bool transA, float* b, long ldb,
            bool transB, float* c, long ldc, bool accumulate)
        {
            switch (Simd.Level)
            {
                case SimdLevel.V512:
                    (_mr, _nr) = (GemmKernels.Mr512, GemmKernels.Nr512);
                    _kernel = &GemmKernels.Kernel512;
                    break;
                case SimdLevel.V256:
                    (_mr, _nr) = (GemmKernels.Mr256, GemmKernels.Nr256);
                    _kernel = &GemmKernels.Kernel256;
                    break;
                default:
                    (_mr, _nr) = (GemmKernels.MrScalar, GemmKernels.NrScalar);
                    _kernel = &GemmKernels.KernelScalar;
                    break;
            }
            (_m, _n, _lda, _transA, _ldb, _transB, _ldc) = (m, n, lda, transA, ldb, transB, ldc);
            _a = a;
            _b = b;
            _c = c;
            // Blocks of equal size (rounded to whole tiles) rather than full blocks plus a small remainder.
            int kBlocks = (k + KcMax - 1) / KcMax;
            int kcStep = (k + kBlocks - 1) / kBlocks;
            int mBlocks = (m + McMax - 1) / McMax;
            _mc = RoundUp((m + mBlocks - 1) / mBlocks, _mr);
            _mBlocks = (m + _mc - 1) / _mc;
            int ncMax = RoundUp(NcMax, _nr);
            _bp = _bPanel.Get((long)kcStep * ncMax);
            for (int j0 = 0; j0 < n; j0 += ncMax)
            {
                _j0 = j0;
                _nc = Math.Min(ncMax, n - j0);
                _slivers = (_nc + _nr - 1) / _nr;
                // Enough tasks to balance the threads: split the columns too when there are few row blocks.
                int threads = pool?.Threads ?? 1;
                _jParts = threads == 1 ? 1 : Math.Clamp((4 * threads + _mBlocks - 1) / _mBlocks, 1, _slivers);
                _sliversPerPart = (_slivers + _jParts - 1) / _jParts;
                _jParts = (_slivers + _sliversPerPart - 1) / _sliversPerPart;
                for (int p0 = 0; p0 < k; p0 += kcStep)
                {
                    _p0 = p0;
                    _kc = Math.Min(kcStep, k - p0);
                    _load = accumulate || p0 > 0;
                    int packs = (_slivers + PackChunk - 1) / PackChunk, tasks = _mBlocks * _jParts;
                    if (pool != null)
                    {
                        pool.For(packs, _packB);
                        pool.For(tasks, _compute);
                        continue;
                    }
                    for (int i = 0; i < packs; i++) PackB(i);
                    for (int i = 0; i < tasks; i++) Compute(i);
                }
            }
        }

        private const int PackChunk = 8;

        private void PackB(int chunk)
        {
            int s1 = Math.Min(_slivers, (chunk + 1) * PackChunk);
            for (int s = chunk * PackChunk; s < s1; s++)
            {
                int j = s * _nr;
                GemmPacking.PackBSliver(_b, _ldb, _transB, _j0 + j, Math.Min(_nr, _nc - j), _p0, _kc, _nr, _bp + (long)s * _kc * _nr);
            }
        }

        private void Compute(int task)
        {
            int mb = task % _mBlocks, part = task / _mBlocks;
            int i0 = mb * _mc, rows = Math.Min(_mc, _m - i0);
            int mr = _mr, nr = _nr, kc = _kc;
            float* ap = (_aBuffer ??= new AlignedBuffer()).Get((long)RoundUp(rows, mr) * kc);
            GemmPacking.PackA(_a, _lda, _transA, i0, rows, _p0, kc, mr, ap);
            float* tile = stackalloc float[GemmKernels.Mr512 * GemmKernels.Nr512];
            int s1 = Math.Min(_slivers, (part + 1) * _sliversPerPart);
            for (int s = part * _sliversPerPart; s < s1; s++)
            {
                int j = _j0 + s * nr, w = Math.Min(nr, _n - j);
                float* bs = _bp + (long)s * kc * nr;
                for (int ir = 0; ir < rows; ir += mr)
                {
                    int h = Math.Min(mr, rows - ir);
                    float* cp = _c + (i0 + ir) * _ldc + j;
                    float* as_ = ap + (long)ir * kc;
                    if (h == mr && w == nr)
                    {
                        _kernel(as_, bs, kc, cp, _ldc, _load);
                        continue;
                    }
                    // Edge tile: run the full tile on a copy, then write back the part inside C.
                    if (_load)
                        for (int i = 0; i < h; i++) new ReadOnlySpan<float>(cp + i * _ldc, w).CopyTo(new Span<float>(tile + i * nr, w));
                    _kernel(as_, bs, kc, tile, nr, _load);
                    for (int i = 0; i < h; i++) new ReadOnlySpan<float>(tile + i * nr, w).CopyTo(new Span<float>(cp + i * _ldc, w));
                }
            }
        }
    }

    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;
}

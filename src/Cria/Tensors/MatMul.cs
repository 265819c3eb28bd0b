using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Cria.Model;

namespace Cria.Tensors;

/// <summary>
/// y[t, n] = Σ_k x[t, k] · W[n, k] for a stored weight matrix W of any type: matrix-matrix for prompt
/// prefill (many t), matrix-vector for decoding (t = 1). Work is split over blocks of W's rows.
/// <para>
/// The kernel is chosen by W's type alone, never by the number of tokens, so a (row, token) output is the same bits
/// whether the token came alone or in a batch: Q8_0 and Q4_0 weights are multiplied in their block layout against
/// the activations rounded to int8 blocks of 32, Q4_K and Q6_K against int8 blocks of 256 (as ggml's vec_dot does
/// with Q8_0 and Q8_K activations), for every batch size; every other type is
/// converted to float32 a block of rows at a time (reused for every token) and multiplied in float32 (for one
/// F16 token, the conversion happens in registers with the same sums, see <see cref="F16Kernels"/>).
/// </para>
/// </summary>
public static unsafe class MatMul
{
    private const int RowsPerBlock = 16;

    [ThreadStatic] private static Job? _job;

    /// <summary>Tests switch this off to check the AVX2 path on a CPU that has AVX-VNNI.</summary>
    internal static bool AllowVnni { get; set; } = true;

    /// <summary>True when W's type is multiplied against int8-rounded activations (see the class remarks).</summary>
    public static bool QuantizesActivations(DType type) => type is DType.Q8_0 or DType.Q4_0 or DType.Q4_K or DType.Q6_K;

    public static void Forward(WeightTensor w, float* x, int tokens, float* y, WorkerPool? pool = null)
        => Run(x, tokens, pool, w, y, null, null, null, null);

    /// <summary>
    /// y0 = x·W0ᵀ and y1 = x·W1ᵀ for two matrices that read the same input (a MLP's gate and up projections) in
    /// one pass over the pool, with the activations rounded to int8 once for both. Each output is the same bits as
    /// a separate <see cref="Forward(WeightTensor, float*, int, float*, WorkerPool?)"/> gives.
    /// </summary>
    public static void Forward(WeightTensor w0, float* y0, WeightTensor w1, float* y1, float* x, int tokens, WorkerPool? pool = null)
        => Run(x, tokens, pool, w0, y0, w1, y1, null, null);

    /// <summary>The same for three matrices (attention's q, k and v projections).</summary>
    public static void Forward(WeightTensor w0, float* y0, WeightTensor w1, float* y1, WeightTensor w2, float* y2, float* x, int tokens, WorkerPool? pool = null)
        => Run(x, tokens, pool, w0, y0, w1, y1, w2, y2);

    private static void Run(float* x, int tokens, WorkerPool? pool, WeightTensor w0, float* y0, WeightTensor? w1, float* y1, WeightTensor? w2, float* y2)
    {
        if (tokens <= 0) return;
        long work = (long)tokens * w0.Cols * (w0.Rows + (w1?.Rows ?? 0) + (w2?.Rows ?? 0));
        pool = work < WorkerPool.SerialWork ? WorkerPool.Inline : pool ?? WorkerPool.Shared;
        if (w1 != null && !CanShare(w0, w1, w2))
        {
            // Different input widths or activation formats: nothing to share, so one matrix at a time.
            Run(x, tokens, pool, w0, y0, null, null, null, null);
            Run(x, tokens, pool, w1, y1, null, null, null, null);
            if (w2 != null) Run(x, tokens, pool, w2, y2, null, null, null, null);
            return;
        }
        // One reusable job per calling thread: its delegates are bound once, so a call allocates nothing.
        Job job = _job ??= new Job();
        job.X = x;
        job.Tokens = tokens;
        job.Parts = 0;
        job.Add(w0, y0);
        if (w1 != null) job.Add(w1, y1);
        if (w2 != null) job.Add(w2, y2);
        if (QuantizesActivations(w0.Type))
        {
            job.Acts.Reserve(tokens, w0.Cols, w0.Type.BlockSize());
            job.Path = Int8Path();
            pool.For(tokens, job.QuantizeToken);
            pool.For(job.Blocks, job.Int8Block);
        }
        else
        {
            pool.For(job.Blocks, job.FloatBlock);
        }
        job.Clear();
    }

    // Matrices share a pass when they read inputs of the same width and, if they round the activations, to the same
    // blocks; float matrices share only with float matrices.
    private static bool CanShare(WeightTensor w0, WeightTensor w1, WeightTensor? w2)
    {
        static bool Same(WeightTensor a, WeightTensor b)
            => a.Cols == b.Cols && QuantizesActivations(a.Type) == QuantizesActivations(b.Type)
               && (!QuantizesActivations(a.Type) || a.Type.BlockSize() == b.Type.BlockSize());
        return Same(w0, w1) && (w2 == null || Same(w0, w2));
    }

    internal enum Int8Kernel { Scalar, Avx2, Vnni }

    internal static Int8Kernel Int8Path()
    {
        if (Simd.Level < SimdLevel.V256 || !Avx2.IsSupported) return Int8Kernel.Scalar;
        return AvxVnni.IsSupported && AllowVnni ? Int8Kernel.Vnni : Int8Kernel.Avx2;
    }

    private sealed class Job
    {
        [ThreadStatic] private static float* _scratch;
        [ThreadStatic] private static long _scratchFloats;

        private const int MaxParts = 3;
        private readonly WeightTensor?[] _w = new WeightTensor?[MaxParts];
        private readonly nint[] _y = new nint[MaxParts];
        // Row blocks of part p are global indices [_firstBlock[p], _firstBlock[p + 1]).
        private readonly int[] _firstBlock = new int[MaxParts + 1];

        public float* X;
        public int Tokens;
        public int Parts;
        public Int8Kernel Path;
        public readonly ActivationBlocks Acts = new();
        public readonly Action<int> QuantizeToken, Int8Block, FloatBlock;

        public Job()
        {
            QuantizeToken = t => Acts.QuantizeToken(X, t);
            Int8Block = RunInt8Block;
            FloatBlock = RunFloatBlock;
        }

        public int Blocks => _firstBlock[Parts];

        public void Add(WeightTensor w, float* y)
        {
            _w[Parts] = w;
            _y[Parts] = (nint)y;
            _firstBlock[Parts + 1] = _firstBlock[Parts] + (w.Rows + RowsPerBlock - 1) / RowsPerBlock;
            Parts++;
        }

        public void Clear()
        {
            for (int p = 0; p < MaxParts; p++) _w[p] = null;
            Parts = 0;
        }

        /// <summary>The matrix, its output and the local row-block index of global block b.</summary>
        private WeightTensor Locate(int b, out float* y, out int local)
        {
            int p = 0;
            while (b >= _firstBlock[p + 1]) p++;
            y = (float*)_y[p];
            local = b - _firstBlock[p];
            return _w[p]!;
        }

        private void RunInt8Block(int b)
        {
            WeightTensor w = Locate(b, out float* yBase, out int local);
            int r0 = local * RowsPerBlock, rows = Math.Min(RowsPerBlock, w.Rows - r0);
            byte* wr = w.Row(r0);
            float* y = yBase + r0;
            int n = w.Rows;
            switch (w.Type, Path)
            {
                case (DType.Q8_0, Int8Kernel.Vnni): Block32Kernels.Rows<Q8_0Block, VnniDot>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q8_0, Int8Kernel.Avx2): Block32Kernels.Rows<Q8_0Block, Avx2Dot>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q8_0, _): Block32Kernels.RowsScalar<Q8_0Block>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_0, Int8Kernel.Vnni): Block32Kernels.Rows<Q4_0Block, VnniDot>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_0, Int8Kernel.Avx2): Block32Kernels.Rows<Q4_0Block, Avx2Dot>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_0, _): Block32Kernels.RowsScalar<Q4_0Block>(wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_K or DType.Q6_K, Int8Kernel.Vnni): KQuantKernels.Rows<VnniDot>(w.Type, wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_K or DType.Q6_K, Int8Kernel.Avx2): KQuantKernels.Rows<Avx2Dot>(w.Type, wr, w.RowBytes, rows, Acts, y, n); break;
                case (DType.Q4_K or DType.Q6_K, _): KQuantKernels.RowsScalar(w.Type, wr, w.RowBytes, rows, Acts, y, n); break;
                default: throw new InvalidOperationException($"no int8 kernel for {w.Type}");
            }
        }

        private void RunFloatBlock(int b)
        {
            WeightTensor w = Locate(b, out float* y, out int local);
            int n = w.Rows, k = w.Cols;
            int r0 = local * RowsPerBlock, rows = Math.Min(RowsPerBlock, n - r0);
            if (Tokens == 1 && w.Type == DType.F16 && F16Kernels.Available)
            {
                // Same arithmetic as the converted block below, without the pass through scratch.
                F16Kernels.Rows(w.Row(r0), w.RowBytes, rows, k, X, y + r0);
                return;
            }
            float* wf = BlockAsFloat(w, r0, rows);
            // Tokens in tiles so a tile of activations stays in cache while the block of rows is reused.
            const int TokenTile = 64;
            for (int t0 = 0; t0 < Tokens; t0 += TokenTile)
                DotKernels.Block(wf, rows, X + (long)t0 * k, Math.Min(TokenTile, Tokens - t0), k, y + (long)t0 * n + r0, n);
        }

        private static float* BlockAsFloat(WeightTensor w, int r0, int rows)
        {
            if (w.Type == DType.F32) return (float*)w.Row(r0);
            long need = (long)rows * w.Cols;
            if (_scratchFloats < need)
            {
                if (_scratch != null) NativeMemory.AlignedFree(_scratch);
                _scratch = (float*)NativeMemory.AlignedAlloc((nuint)(need * sizeof(float)), 64);
                _scratchFloats = need;
            }
            for (int r = 0; r < rows; r++) Dequantize.Row(w.Type, w.Row(r0 + r), new Span<float>(_scratch + (long)r * w.Cols, w.Cols));
            return _scratch;
        }
    }
}

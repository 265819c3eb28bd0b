using System.Runtime.InteropServices;
using Cria.Model;

namespace Cria.Tensors;

/// <summary>
/// y[t, n] = Σ_k x[t, k] · W[n, k] for a stored weight matrix W of any type: matrix-matrix for prompt
/// prefill (many t), matrix-vector for decoding (t = 1). Work is split over blocks of W's rows; each
/// block is converted to float32 once (when W is not F32) and reused for every token.
/// </summary>
public static unsafe class MatMul
{
    private const int RowsPerBlock = 16;

    [ThreadStatic] private static float* _scratch;
    [ThreadStatic] private static long _scratchFloats;

    public static void Forward(WeightTensor w, float* x, int tokens, float* y, WorkerPool? pool = null)
    {
        pool ??= WorkerPool.Shared;
        int n = w.Rows, k = w.Cols;
        int blocks = (n + RowsPerBlock - 1) / RowsPerBlock;
        nint px = (nint)x, py = (nint)y;
        pool.For(blocks, b =>
        {
            int r0 = b * RowsPerBlock;
            int rows = Math.Min(RowsPerBlock, n - r0);
            float* wf = BlockAsFloat(w, r0, rows);
            ComputeBlock(wf, rows, k, (float*)px, tokens, (float*)py, n, r0);
        });
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

    private static void ComputeBlock(float* wf, int rows, int k, float* x, int tokens, float* y, int n, int r0)
    {
        // Tokens in tiles so a tile of activations stays in cache while the block of rows is reused.
        const int TokenTile = 64;
        for (int t0 = 0; t0 < tokens; t0 += TokenTile)
            DotKernels.Block(wf, rows, x + (long)t0 * k, Math.Min(TokenTile, tokens - t0), k, y + (long)t0 * n + r0, n);
    }
}

using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// y = x·Wᵀ for x [n, k] and W [out, k], with its backward: dx = dy·W and dW += dyᵀ·x. All three are dot
/// products computed by <see cref="DotKernels.Block"/> (operands transposed first where needed), and every
/// output element is one dot product owned by one thread, so results do not depend on the thread count.
/// </summary>
public static unsafe class LinearOp
{
    private const int RowTile = 16;
    private const int TokenTile = 64;

    /// <summary>y[t, r] = Σ_i x[t, i]·w[r, i] for t &lt; n, r &lt; rows.</summary>
    public static void Forward(WorkerPool pool, float* x, int n, int k, float* w, int rows, float* y)
    {
        int rowBlocks = (rows + RowTile - 1) / RowTile;
        int tokenBlocks = (n + TokenTile - 1) / TokenTile;
        nint px = (nint)x, pw = (nint)w, py = (nint)y;
        pool.For(rowBlocks * tokenBlocks, i =>
        {
            int r0 = i % rowBlocks * RowTile, t0 = i / rowBlocks * TokenTile;
            DotKernels.Block((float*)pw + (long)r0 * k, Math.Min(RowTile, rows - r0), (float*)px + (long)t0 * k,
                Math.Min(TokenTile, n - t0), k, (float*)py + (long)t0 * rows + r0, rows);
        });
    }

    /// <summary>dx = dy·W (overwrites dx [n, k]).</summary>
    public static void BackwardInput(WorkerPool pool, Workspace ws, float* dy, int n, float* w, int rows, int k, float* dx)
    {
        float* wt = ws.Get("linear.wT", (long)rows * k);
        Transpose(pool, w, rows, k, wt);
        Forward(pool, dy, n, rows, wt, k, dx);
    }

    /// <summary>dW [rows, k] += dyᵀ·x over the n tokens.</summary>
    public static void BackwardWeight(WorkerPool pool, Workspace ws, float* dy, float* x, int n, int rows, int k, float* dw)
    {
        float* dyT = ws.Get("linear.dyT", (long)rows * n);
        float* xT = ws.Get("linear.xT", (long)k * n);
        float* tmp = ws.Get("linear.dW", (long)rows * k);
        Transpose(pool, dy, n, rows, dyT);
        Transpose(pool, x, n, k, xT);
        // tmp[r, i] = Σ_t dyT[r, t]·xT[i, t]: rows of xT play the weight, rows of dyT the tokens.
        Forward(pool, dyT, rows, n, xT, k, tmp);
        TrainKernels.AddInto(pool, dw, tmp, (long)rows * k);
    }

    /// <summary>dst [cols, rows] = srcᵀ for src [rows, cols].</summary>
    public static void Transpose(WorkerPool pool, float* src, int rows, int cols, float* dst)
    {
        const int Tile = 32;
        int rowBlocks = (rows + Tile - 1) / Tile;
        nint ps = (nint)src, pd = (nint)dst;
        pool.For(rowBlocks, b =>
        {
            float* s = (float*)ps;
            float* d = (float*)pd;
            int r0 = b * Tile, r1 = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < cols; c0 += Tile)
            {
                int c1 = Math.Min(cols, c0 + Tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        d[(long)c * rows + r] = s[(long)r * cols + c];
            }
        });
    }
}

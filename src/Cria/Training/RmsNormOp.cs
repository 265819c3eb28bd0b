using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// RMSNorm: y = x · rstd · g with rstd = 1/sqrt(mean(x²) + eps), per token. The backward needs only x and
/// the saved rstd: with x̂ = x·rstd and d = dy·g, dx = rstd·(d − x̂·mean(d·x̂)) and dg = Σ_t dy·x̂.
/// </summary>
public static unsafe class RmsNormOp
{
    public static void Forward(WorkerPool pool, float* x, float* g, int n, int dim, float eps, float* y, float* rstd)
    {
        nint px = (nint)x, pg = (nint)g, py = (nint)y, pr = (nint)rstd;
        pool.For(n, t =>
        {
            float* xt = (float*)px + (long)t * dim, yt = (float*)py + (long)t * dim, gg = (float*)pg;
            float ss = 0;
            for (int i = 0; i < dim; i++) ss += xt[i] * xt[i];
            float r = 1f / MathF.Sqrt(ss / dim + eps);
            ((float*)pr)[t] = r;
            for (int i = 0; i < dim; i++) yt[i] = xt[i] * r * gg[i];
        });
    }

    /// <summary>dx += the gradient through the norm; dg += Σ_t dy·x̂ (column-owned, tokens in order).</summary>
    public static void Backward(WorkerPool pool, float* dy, float* x, float* g, float* rstd, int n, int dim, float* dx, float* dg)
    {
        nint pdy = (nint)dy, px = (nint)x, pg = (nint)g, pr = (nint)rstd, pdx = (nint)dx, pdg = (nint)dg;
        pool.For(n, t =>
        {
            float* dyt = (float*)pdy + (long)t * dim, xt = (float*)px + (long)t * dim, dxt = (float*)pdx + (long)t * dim, gg = (float*)pg;
            float r = ((float*)pr)[t];
            float dot = 0;
            for (int i = 0; i < dim; i++) dot += dyt[i] * gg[i] * xt[i] * r;
            dot /= dim;
            for (int i = 0; i < dim; i++) dxt[i] += r * (dyt[i] * gg[i] - xt[i] * r * dot);
        });
        const int Cols = 16;
        pool.For((dim + Cols - 1) / Cols, b =>
        {
            int c0 = b * Cols, c1 = Math.Min(dim, c0 + Cols);
            float* dyp = (float*)pdy, xp = (float*)px, rp = (float*)pr, dgp = (float*)pdg;
            for (int c = c0; c < c1; c++)
            {
                float s = 0;
                for (int t = 0; t < n; t++) s += dyp[(long)t * dim + c] * xp[(long)t * dim + c] * rp[t];
                dgp[c] += s;
            }
        });
    }
}

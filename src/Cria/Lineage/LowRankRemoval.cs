using System.Numerics.Tensors;

namespace Cria.Lineage;

/// <summary>
/// Removes a matrix's leading singular subspaces (randomized subspace iteration, seeded, so identical inputs give
/// identical outputs). Structure that models learn from the same data — token frequency, common attention
/// preferences — is concentrated in a few large singular directions of the invariant terms; the randomness a derived
/// model inherits from its parent's initialization is spread over the whole spectrum. What remains after removing the
/// top <c>k</c> directions is therefore what an independently trained model does not share.
/// </summary>
internal static class LowRankRemoval
{
    /// <summary>In place: m ← (I − UUᵀ)·m·(I − VVᵀ) with U, V the top-<paramref name="k"/> left/right singular subspaces.</summary>
    public static void Remove(float[] m, int n, int k)
    {
        if (k <= 0 || k >= n / 2) return;
        float[][] u = new float[k][];
        Training.NormalRandom rng = new(0xC0FFEEUL);
        for (int c = 0; c < k; c++)
        {
            u[c] = new float[n];
            for (int i = 0; i < n; i++) u[c][i] = rng.Next();
        }
        float[][] v = Times(m, n, u);
        Orthonormalize(v);
        // Two rounds of subspace iteration sharpen the estimate of the leading directions.
        for (int round = 0; round < 2; round++)
        {
            u = Times(m, n, v);
            Orthonormalize(u);
            v = TransposeTimes(m, n, u);
            Orthonormalize(v);
        }
        u = Times(m, n, v);
        Orthonormalize(u);

        // Left: m −= Uᵀ(U m).
        float[][] um = TransposeTimes(m, n, u);
        for (int i = 0; i < n; i++)
        {
            Span<float> row = m.AsSpan(i * n, n);
            for (int c = 0; c < k; c++) TensorPrimitives.MultiplyAdd(um[c], -u[c][i], row, row);
        }
        // Right: m −= (m Vᵀ) V, with V re-estimated from the deflated matrix's row space.
        for (int i = 0; i < n; i++)
        {
            Span<float> row = m.AsSpan(i * n, n);
            for (int c = 0; c < k; c++)
            {
                float d = TensorPrimitives.Dot(row, v[c]);
                TensorPrimitives.MultiplyAdd(v[c], -d, row, row);
            }
        }
    }

    /// <summary>Columns x[c] → m·x[c].</summary>
    private static float[][] Times(float[] m, int n, float[][] x)
    {
        float[][] y = new float[x.Length][];
        for (int c = 0; c < x.Length; c++)
        {
            y[c] = new float[n];
            for (int i = 0; i < n; i++) y[c][i] = TensorPrimitives.Dot(m.AsSpan(i * n, n), x[c]);
        }
        return y;
    }

    /// <summary>Columns x[c] → mᵀ·x[c].</summary>
    private static float[][] TransposeTimes(float[] m, int n, float[][] x)
    {
        float[][] y = new float[x.Length][];
        for (int c = 0; c < x.Length; c++) y[c] = new float[n];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = m.AsSpan(i * n, n);
            for (int c = 0; c < x.Length; c++) TensorPrimitives.MultiplyAdd(row, x[c][i], y[c], y[c]);
        }
        return y;
    }

    private static void Orthonormalize(float[][] x)
    {
        for (int c = 0; c < x.Length; c++)
        {
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < c; p++) TensorPrimitives.MultiplyAdd(x[p], -TensorPrimitives.Dot(x[c], x[p]), x[c], x[c]);
            float norm = TensorPrimitives.Norm(x[c]);
            if (norm > 0) TensorPrimitives.Divide(x[c], norm, x[c]);
        }
    }
}

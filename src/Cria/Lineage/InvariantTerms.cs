using Cria.Model;
using Cria.Tensors;

namespace Cria.Lineage;

/// <summary>
/// Per block, three n×n matrices over the probe tokens X (normalized embeddings) that do not change under the
/// function-preserving edits one can make to a checkpoint (HuRef's invariant terms):
/// <list type="bullet">
/// <item>QK = X·diag(g₁)·Σ_h Wq,hᵀ·Wk,kv(h)·diag(g₁)·Xᵀ, the attention logits between probe tokens before RoPE;</item>
/// <item>OV = X·diag(g₁)·Σ_h Wv,kv(h)ᵀ·Wo,hᵀ·Xᵀ, what a probe token's value writes, read back by the probes;</item>
/// <item>MLP = X·diag(g₂)·Wupᵀ·Wdownᵀ·Xᵀ, the same for the up/down path of the MLP.</item>
/// </list>
/// Rotating the residual stream (X→XQᵀ, readers W→WQᵀ, writers W→QW), folding the gains g into the next matrices,
/// permuting heads (consistently with the GQA groups), permuting or rescaling a head's q/k rows together (HF's
/// rotate-half order is such a permutation), permuting MLP units, and scaling an up row against its down column all
/// cancel inside each product. The gate projection is left out because flipping the sign of an up row and its down
/// column preserves the function but not any product that involves the gate.
/// <para>
/// Each matrix is double-centered (softmax ignores a per-query shift, and row/column means mostly carry token
/// frequency, which independently trained models share), its leading singular directions are removed
/// (<see cref="LowRankRemoval"/>: learned structure is low-rank, inherited initialization noise is not), and its
/// off-diagonal entries are kept as one unit vector, so the Pearson correlation of two terms is a dot product.
/// </para>
/// </summary>
internal static unsafe class InvariantTerms
{
    public static readonly string[] Names = ["QK", "OV", "MLP"];

    /// <summary>The three standardized terms of one block, computed from the probes with <see cref="MatMul"/>.</summary>
    public static float[][] Compute(WeightTensor x, InvariantLayer l, WorkerPool pool, int removedRank)
    {
        int n = x.Rows, kvDim = l.Wk.Rows, qDim = l.Wq.Rows, headDim = qDim / l.Heads, group = l.Heads / l.KvHeads;
        using WeightTensor xa = ProbeEmbeddings.Scaled(x, l.AttnNorm);
        using WeightTensor m = WeightTensor.AllocateF32("term", n, n);
        float[][] terms = new float[3][];

        // QK: queries of a GQA group share one key head, so Σ_h (X Wq,hᵀ)(X Wk,kv(h)ᵀ)ᵀ sums the group's queries first.
        using (WeightTensor q = WeightTensor.AllocateF32("q", n, qDim))
        using (WeightTensor k = WeightTensor.AllocateF32("k", n, kvDim))
        using (WeightTensor qSum = WeightTensor.AllocateF32("q per kv head", n, kvDim))
        {
            MatMul.Forward(l.Wq, F(xa), n, F(q), pool);
            MatMul.Forward(l.Wk, F(xa), n, F(k), pool);
            Span<float> qs = q.AsF32Span(), sum = qSum.AsF32Span();
            for (int t = 0; t < n; t++)
                for (int h = 0; h < l.Heads; h++)
                    System.Numerics.Tensors.TensorPrimitives.Add(
                        sum.Slice(t * kvDim + h / group * headDim, headDim), qs.Slice(t * qDim + h * headDim, headDim),
                        sum.Slice(t * kvDim + h / group * headDim, headDim));
            MatMul.Forward(k, F(qSum), n, F(m), pool);
            terms[0] = Standardize(m.AsF32Span(), n, removedRank);
        }

        // OV: each query head's slot of Wo reads the value of its group's kv head.
        using (WeightTensor v = WeightTensor.AllocateF32("v", n, kvDim))
        using (WeightTensor vHeads = WeightTensor.AllocateF32("v per head", n, qDim))
        using (WeightTensor z = WeightTensor.AllocateF32("ov", n, x.Cols))
        {
            MatMul.Forward(l.Wv, F(xa), n, F(v), pool);
            Span<float> vs = v.AsF32Span(), vh = vHeads.AsF32Span();
            for (int t = 0; t < n; t++)
                for (int h = 0; h < l.Heads; h++)
                    vs.Slice(t * kvDim + h / group * headDim, headDim).CopyTo(vh.Slice(t * qDim + h * headDim, headDim));
            MatMul.Forward(l.Wo, F(vHeads), n, F(z), pool);
            MatMul.Forward(x, F(z), n, F(m), pool);
            terms[1] = Standardize(m.AsF32Span(), n, removedRank);
        }

        using (WeightTensor xf = ProbeEmbeddings.Scaled(x, l.FfnNorm))
        using (WeightTensor u = WeightTensor.AllocateF32("up", n, l.WUp.Rows))
        using (WeightTensor z = WeightTensor.AllocateF32("mlp", n, x.Cols))
        {
            MatMul.Forward(l.WUp, F(xf), n, F(u), pool);
            MatMul.Forward(l.WDown, F(u), n, F(z), pool);
            MatMul.Forward(x, F(z), n, F(m), pool);
            terms[2] = Standardize(m.AsF32Span(), n, removedRank);
        }
        return terms;
    }

    private static float* F(WeightTensor t) => (float*)t.Data;

    /// <summary>Double-centers the n×n matrix, then returns its off-diagonal entries centered and scaled to unit length.</summary>
    internal static float[] Standardize(ReadOnlySpan<float> input, int n, int removedRank)
    {
        float[] m = DoubleCentered(input, n);
        LowRankRemoval.Remove(m, n, removedRank);
        double sum = 0;
        long p = 0;
        float[] off = new float[(long)n * (n - 1)];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                off[p++] = m[i * n + j];
                sum += m[i * n + j];
            }
        double mean = off.Length > 0 ? sum / off.Length : 0, ss = 0;
        foreach (float v in off) ss += (v - mean) * (v - mean);
        double inv = ss > 0 ? 1 / Math.Sqrt(ss) : 0;
        for (long i = 0; i < off.Length; i++) off[i] = (float)((off[i] - mean) * inv);
        return off;
    }

    private static float[] DoubleCentered(ReadOnlySpan<float> m, int n)
    {
        double[] rowMean = new double[n], colMean = new double[n];
        double all = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = m[i * n + j];
                rowMean[i] += v;
                colMean[j] += v;
                all += v;
            }
        for (int i = 0; i < n; i++)
        {
            rowMean[i] /= n;
            colMean[i] /= n;
        }
        all /= (double)n * n;
        float[] result = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) result[i * n + j] = (float)(m[i * n + j] - rowMean[i] - colMean[j] + all);
        return result;
    }

    /// <summary>Pearson correlation of two standardized terms.</summary>
    public static double Correlation(float[] a, float[] b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}

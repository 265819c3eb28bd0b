using System.Numerics.Tensors;
using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// Causal grouped-query attention over B rows of T tokens. q is [n, heads·hd], k and v [n, kvHeads·hd];
/// query head h reads kv head h / (heads / kvHeads). Softmax probabilities are saved as [B, heads, T, T]
/// for the backward. The products (scores, outputs and all gradients) are single-threaded <see cref="Gemm"/>
/// calls inside one task per (row, head) forward and per (row, kv head) backward, which owns its outputs: dk and
/// dv add the group's query heads in a fixed order. Query rows go in blocks of <see cref="RowBlock"/> and only
/// reach keys up to the block's end, so the masked upper triangle costs at most one block.
/// </summary>
public static unsafe class AttentionOp
{
    private const int RowBlock = 64;

    [ThreadStatic] private static AlignedBuffer? _scratch;

    public readonly record struct Shape(int Batch, int Seq, int Heads, int KvHeads, int HeadDim)
    {
        public int Group => Heads / KvHeads;
        public int QStride => Heads * HeadDim;
        public int KvStride => KvHeads * HeadDim;
        public float Scale => 1f / MathF.Sqrt(HeadDim);
    }

    public static void Forward(WorkerPool pool, Shape s, float* q, float* k, float* v, float* probs, float* o)
    {
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, pp = (nint)probs, po = (nint)o;
        pool.For(s.Batch * s.Heads, i =>
        {
            int h = i % s.Heads, b = i / s.Heads, g = h / s.Group, t = s.Seq, hd = s.HeadDim;
            int qs = s.QStride, kvs = s.KvStride;
            float* qh = (float*)pq + (long)b * t * qs + h * hd;
            float* kh = (float*)pk + (long)b * t * kvs + g * hd;
            float* vh = (float*)pv + (long)b * t * kvs + g * hd;
            float* oh = (float*)po + (long)b * t * qs + h * hd;
            float* p = (float*)pp + ((long)b * s.Heads + h) * t * t;
            for (int t0 = 0; t0 < t; t0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, t - t0);
                Gemm.Multiply(null, rows, t0 + rows, hd, qh + (long)t0 * qs, qs, false, kh, kvs, true, p + (long)t0 * t, t, false);
            }
            for (int r = 0; r < t; r++) Softmax(p + (long)r * t, r + 1, t, s.Scale);
            for (int t0 = 0; t0 < t; t0 += RowBlock)
            {
                int rows = Math.Min(RowBlock, t - t0);
                Gemm.Multiply(null, rows, hd, t0 + rows, p + (long)t0 * t, t, false, vh, kvs, false, oh + (long)t0 * qs, qs, false);
            }
        });
    }

    /// <summary>row[u] = softmax(scale·row)[u] over u &lt; len, and 0 for len ≤ u &lt; width.</summary>
    private static void Softmax(float* row, int len, int width, float scale)
    {
        Span<float> r = new(row, len);
        TensorPrimitives.Multiply(r, scale, r);
        TensorPrimitives.Subtract(r, TensorPrimitives.Max(r), r);
        TensorPrimitives.Exp(r, r);
        TensorPrimitives.Multiply(r, 1f / TensorPrimitives.Sum(r), r);
        new Span<float>(row + len, width - len).Clear();
    }

    /// <summary>Overwrites dq, dk, dv from do (the gradient of the attention output).</summary>
    public static void Backward(WorkerPool pool, Shape s, float* q, float* k, float* v, float* probs, float* dOut,
        float* dq, float* dk, float* dv)
    {
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, pp = (nint)probs, pdo = (nint)dOut, pdq = (nint)dq, pdk = (nint)dk, pdv = (nint)dv;
        pool.For(s.Batch * s.KvHeads, i =>
        {
            int g = i % s.KvHeads, b = i / s.KvHeads, t = s.Seq, hd = s.HeadDim;
            int qs = s.QStride, kvs = s.KvStride;
            long kvOff = (long)b * t * kvs + g * hd;
            float* kh = (float*)pk + kvOff, vh = (float*)pv + kvOff, dkh = (float*)pdk + kvOff, dvh = (float*)pdv + kvOff;
            float* ds = (_scratch ??= new AlignedBuffer()).Get((long)t * t);
            for (int h = g * s.Group; h < (g + 1) * s.Group; h++)
            {
                bool first = h == g * s.Group;
                long qOff = (long)b * t * qs + h * hd;
                float* qh = (float*)pq + qOff, doh = (float*)pdo + qOff, dqh = (float*)pdq + qOff;
                float* p = (float*)pp + ((long)b * s.Heads + h) * t * t;
                // dP = dO·Vᵀ over the causal blocks, then dS = P ∘ (dP − rowsum(P ∘ dP))·scale in place.
                for (int t0 = 0; t0 < t; t0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, t - t0);
                    Gemm.Multiply(null, rows, t0 + rows, hd, doh + (long)t0 * qs, qs, false, vh, kvs, true, ds + (long)t0 * t, t, false);
                }
                for (int r = 0; r < t; r++)
                {
                    Span<float> pr = new(p + (long)r * t, r + 1), dr = new(ds + (long)r * t, r + 1);
                    TensorPrimitives.Subtract(dr, TensorPrimitives.Dot(pr, dr), dr);
                    TensorPrimitives.Multiply(dr, pr, dr);
                    TensorPrimitives.Multiply(dr, s.Scale, dr);
                    new Span<float>(ds + (long)r * t + r + 1, t - r - 1).Clear();
                }
                // dQ = dS·K; dK (+)= dSᵀ·Q and dV (+)= Pᵀ·dO, where key u only meets queries t ≥ u.
                for (int t0 = 0; t0 < t; t0 += RowBlock)
                {
                    int rows = Math.Min(RowBlock, t - t0);
                    Gemm.Multiply(null, rows, hd, t0 + rows, ds + (long)t0 * t, t, false, kh, kvs, false, dqh + (long)t0 * qs, qs, false);
                    long diag = (long)t0 * t + t0;
                    Gemm.Multiply(null, rows, hd, t - t0, ds + diag, t, true, qh + (long)t0 * qs, qs, false, dkh + (long)t0 * kvs, kvs, !first);
                    Gemm.Multiply(null, rows, hd, t - t0, p + diag, t, true, doh + (long)t0 * qs, qs, false, dvh + (long)t0 * kvs, kvs, !first);
                }
            }
        });
    }
}

using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// Causal grouped-query attention over B rows of T tokens. q is [n, heads·hd], k and v [n, kvHeads·hd];
/// query head h reads kv head h / (heads / kvHeads). Softmax probabilities are saved as [B, heads, T, T]
/// for the backward, which runs per (row, kv head) so that each dk/dv element has one owning thread that
/// adds the contributions of the group's query heads in a fixed order.
/// </summary>
public static unsafe class AttentionOp
{
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
        pool.For(s.Batch * s.Heads * s.Seq, i =>
        {
            int t = i % s.Seq, h = i / s.Seq % s.Heads, b = i / (s.Seq * s.Heads);
            int g = h / s.Group, hd = s.HeadDim;
            float* qt = (float*)pq + ((long)(b * s.Seq + t) * s.QStride + h * hd);
            float* p = (float*)pp + (((long)b * s.Heads + h) * s.Seq + t) * s.Seq;
            float max = float.NegativeInfinity;
            for (int u = 0; u <= t; u++)
            {
                float* ku = (float*)pk + ((long)(b * s.Seq + u) * s.KvStride + g * hd);
                p[u] = Kernels.Dot(qt, ku, hd) * s.Scale;
                max = MathF.Max(max, p[u]);
            }
            float sum = 0;
            for (int u = 0; u <= t; u++)
            {
                p[u] = MathF.Exp(p[u] - max);
                sum += p[u];
            }
            float inv = 1f / sum;
            for (int u = 0; u <= t; u++) p[u] *= inv;
            for (int u = t + 1; u < s.Seq; u++) p[u] = 0;
            float* ot = (float*)po + ((long)(b * s.Seq + t) * s.QStride + h * hd);
            new Span<float>(ot, hd).Clear();
            for (int u = 0; u <= t; u++)
            {
                float* vu = (float*)pv + ((long)(b * s.Seq + u) * s.KvStride + g * hd);
                Kernels.Axpy(p[u], vu, ot, hd);
            }
        });
    }

    /// <summary>Overwrites dq, dk, dv from do (the gradient of the attention output).</summary>
    public static void Backward(WorkerPool pool, Shape s, float* q, float* k, float* v, float* probs, float* dOut,
        float* dq, float* dk, float* dv)
    {
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, pp = (nint)probs, pdo = (nint)dOut, pdq = (nint)dq, pdk = (nint)dk, pdv = (nint)dv;
        pool.For(s.Batch * s.KvHeads, i =>
        {
            int g = i % s.KvHeads, b = i / s.KvHeads, hd = s.HeadDim;
            float[] dp = new float[s.Seq];
            for (int u = 0; u < s.Seq; u++)
            {
                new Span<float>((float*)pdk + ((long)(b * s.Seq + u) * s.KvStride + g * hd), hd).Clear();
                new Span<float>((float*)pdv + ((long)(b * s.Seq + u) * s.KvStride + g * hd), hd).Clear();
            }
            for (int h = g * s.Group; h < (g + 1) * s.Group; h++)
                for (int t = 0; t < s.Seq; t++)
                {
                    float* p = (float*)pp + (((long)b * s.Heads + h) * s.Seq + t) * s.Seq;
                    float* dot = (float*)pdo + ((long)(b * s.Seq + t) * s.QStride + h * hd);
                    float* qt = (float*)pq + ((long)(b * s.Seq + t) * s.QStride + h * hd);
                    float* dqt = (float*)pdq + ((long)(b * s.Seq + t) * s.QStride + h * hd);
                    float pd = 0;
                    for (int u = 0; u <= t; u++)
                    {
                        long kvOff = (long)(b * s.Seq + u) * s.KvStride + g * hd;
                        float* vu = (float*)pv + kvOff, dvu = (float*)pdv + kvOff;
                        float d = Kernels.Dot(dot, vu, hd);
                        Kernels.Axpy(p[u], dot, dvu, hd);
                        dp[u] = d;
                        pd += p[u] * d;
                    }
                    new Span<float>(dqt, hd).Clear();
                    for (int u = 0; u <= t; u++)
                    {
                        float ds = p[u] * (dp[u] - pd) * s.Scale;
                        long kvOff = (long)(b * s.Seq + u) * s.KvStride + g * hd;
                        float* ku = (float*)pk + kvOff, dku = (float*)pdk + kvOff;
                        Kernels.Axpy(ds, ku, dqt, hd);
                        Kernels.Axpy(ds, qt, dku, hd);
                    }
                }
        });
    }
}

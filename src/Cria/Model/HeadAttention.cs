using System.Runtime.Intrinsics;
using Cria.Generation;
using Cria.Tensors;

namespace Cria.Model;

/// <summary>
/// Attention of the query heads that share one KV head against the first <c>len</c> positions of a
/// <see cref="KvCache"/>: scores, softmax, and the weighted sum of values. Shared by every forward path so that a
/// token gets the same bits whether it came in a prompt, alone, or in a batch of sequences.
/// <para>
/// The cache stores each block of 16 positions transposed, so the kernels work on 16 positions at once: a score is
/// a chain of fused multiply-adds over the head's components in order (the same bits in a vector lane as in the
/// scalar loop, so scores do not depend on the SIMD level), and each output component is a dot product over
/// positions, one accumulator lane per position modulo the vector width, summed across lanes at the end. Nothing
/// is done per position that costs more than a vector lane, which is what matters for heads of 8.
/// </para>
/// </summary>
internal static unsafe class HeadAttention
{
    private const int B = KvCache.BlockPositions;

    /// <summary>Floats of scratch that <see cref="AttendGroup"/> needs for <paramref name="len"/> positions.</summary>
    public static int ScratchFloats(int len) => (len + B - 1) / B * B;

    /// <summary>
    /// Heads [0, <paramref name="heads"/>) of <paramref name="q"/> (each <c>cache.HeadDim</c> long, one after another)
    /// attend over positions [0, <paramref name="len"/>) of KV head <paramref name="kvHead"/>; outputs go to
    /// <paramref name="o"/> in the same layout. <paramref name="scores"/> holds <see cref="ScratchFloats"/> floats.
    /// </summary>
    public static void AttendGroup(float* q, int heads, KvCache cache, int layer, int kvHead, int len, float scale, float* scores, float* o)
    {
        int hd = cache.HeadDim;
        float* keys = cache.KeyBlocks(layer, kvHead), values = cache.ValueBlocks(layer, kvHead);
        for (int h = 0; h < heads; h++)
        {
            float* qh = q + h * hd, oh = o + h * hd;
            switch (Simd.Level)
            {
                case SimdLevel.V512:
                    Scores512(qh, keys, hd, len, scale, scores);
                    Weighted512(scores, values, hd, len, 1f / Exp512(scores, len), oh);
                    break;
                case SimdLevel.V256:
                    Scores256(qh, keys, hd, len, scale, scores);
                    Weighted256(scores, values, hd, len, 1f / Exp256(scores, len), oh);
                    break;
                default:
                    ScoresScalar(qh, keys, hd, len, scale, scores);
                    WeightedScalar(scores, values, hd, len, 1f / ExpScalar(scores, len), oh);
                    break;
            }
        }
    }

    // Softmax without its division: s[p] = exp(s[p] - max) over [0, len), 0 for the rest of the last block (so it
    // weighs nothing); returns the sum, by which the weighted sums are divided at the end.

    private static float Exp512(float* s, int len)
    {
        int full = len / B, tail = len % B;
        Vector512<float> keep = Vector512.LessThan(Lanes512, Vector512.Create(tail)).AsSingle();
        Vector512<float> m = Vector512.Create(float.NegativeInfinity);
        for (int b = 0; b < full; b++) m = Vector512.Max(m, Vector512.Load(s + b * B));
        if (tail > 0) m = Vector512.Max(m, Vector512.ConditionalSelect(keep, Vector512.Load(s + full * B), Vector512.Create(float.NegativeInfinity)));
        Vector512<float> max = Vector512.Create(HorizontalMax(m));
        Vector512<float> sum = default;
        for (int b = 0; b < full; b++)
        {
            Vector512<float> e = VectorExp.Exp(Vector512.Load(s + b * B) - max);
            e.Store(s + b * B);
            sum += e;
        }
        if (tail > 0)
        {
            Vector512<float> e = Vector512.ConditionalSelect(keep, VectorExp.Exp(Vector512.Load(s + full * B) - max), default);
            e.Store(s + full * B);
            sum += e;
        }
        return Vector512.Sum(sum);
    }

    private static float Exp256(float* s, int len)
    {
        int n = (len + 7) / 8 * 8, blocksEnd = ScratchFloats(len);
        Vector256<float> m = Vector256.Create(float.NegativeInfinity);
        for (int p = 0; p + 8 <= len; p += 8) m = Vector256.Max(m, Vector256.Load(s + p));
        Vector256<float> keep = Vector256.LessThan(Lanes256, Vector256.Create(len % 8)).AsSingle();
        if (len % 8 > 0) m = Vector256.Max(m, Vector256.ConditionalSelect(keep, Vector256.Load(s + n - 8), Vector256.Create(float.NegativeInfinity)));
        float hm = float.NegativeInfinity;
        for (int j = 0; j < 8; j++) hm = Math.Max(hm, m[j]);
        Vector256<float> max = Vector256.Create(hm);
        Vector256<float> sum = default;
        for (int p = 0; p + 8 <= len; p += 8)
        {
            Vector256<float> e = VectorExp.Exp(Vector256.Load(s + p) - max);
            e.Store(s + p);
            sum += e;
        }
        if (len % 8 > 0)
        {
            Vector256<float> e = Vector256.ConditionalSelect(keep, VectorExp.Exp(Vector256.Load(s + n - 8) - max), default);
            e.Store(s + n - 8);
            sum += e;
        }
        for (int p = n; p < blocksEnd; p++) s[p] = 0;
        return Vector256.Sum(sum);
    }

    private static float ExpScalar(float* s, int len)
    {
        float max = float.NegativeInfinity;
        for (int p = 0; p < len; p++) max = Math.Max(max, s[p]);
        float sum = 0;
        for (int p = 0; p < len; p++)
        {
            s[p] = MathF.Exp(s[p] - max);
            sum += s[p];
        }
        for (int p = len; p < ScratchFloats(len); p++) s[p] = 0;
        return sum;
    }

    private static float HorizontalMax(Vector512<float> m)
    {
        Vector256<float> h = Vector256.Max(m.GetLower(), m.GetUpper());
        Vector128<float> g = Vector128.Max(h.GetLower(), h.GetUpper());
        return Math.Max(Math.Max(g[0], g[1]), Math.Max(g[2], g[3]));
    }

    // Scores: s[p] = scale · (q[0]k[0][p] + … + q[hd-1]k[hd-1][p]) as a chain of FMAs in component order. Whole
    // blocks are computed, also past len in the last one (those lanes are overwritten by the Exp pass).

    private static void Scores512(float* q, float* keys, int hd, int len, float scale, float* s)
    {
        int blocks = (len + B - 1) / B, stride = hd * B;
        Vector512<float> vs = Vector512.Create(scale);
        int b = 0;
        // Four blocks at a time: four independent FMA chains hide the FMA latency.
        for (; b + 4 <= blocks; b += 4)
        {
            float* k = keys + (long)b * stride;
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < hd; i++)
            {
                Vector512<float> qi = Vector512.Create(q[i]);
                float* ki = k + i * B;
                a0 = Vector512.FusedMultiplyAdd(qi, Vector512.Load(ki), a0);
                a1 = Vector512.FusedMultiplyAdd(qi, Vector512.Load(ki + stride), a1);
                a2 = Vector512.FusedMultiplyAdd(qi, Vector512.Load(ki + 2 * stride), a2);
                a3 = Vector512.FusedMultiplyAdd(qi, Vector512.Load(ki + 3 * stride), a3);
            }
            (a0 * vs).Store(s + b * B);
            (a1 * vs).Store(s + (b + 1) * B);
            (a2 * vs).Store(s + (b + 2) * B);
            (a3 * vs).Store(s + (b + 3) * B);
        }
        for (; b < blocks; b++)
        {
            float* k = keys + (long)b * stride;
            Vector512<float> a = default;
            for (int i = 0; i < hd; i++) a = Vector512.FusedMultiplyAdd(Vector512.Create(q[i]), Vector512.Load(k + i * B), a);
            (a * vs).Store(s + b * B);
        }
    }

    private static void Scores256(float* q, float* keys, int hd, int len, float scale, float* s)
    {
        int blocks = (len + B - 1) / B, stride = hd * B;
        Vector256<float> vs = Vector256.Create(scale);
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            float* k = keys + (long)b * stride;
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < hd; i++)
            {
                Vector256<float> qi = Vector256.Create(q[i]);
                float* ki = k + i * B;
                a0 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(ki), a0);
                a1 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(ki + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(ki + stride), a2);
                a3 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(ki + stride + 8), a3);
            }
            (a0 * vs).Store(s + b * B);
            (a1 * vs).Store(s + b * B + 8);
            (a2 * vs).Store(s + (b + 1) * B);
            (a3 * vs).Store(s + (b + 1) * B + 8);
        }
        for (; b < blocks; b++)
        {
            float* k = keys + (long)b * stride;
            Vector256<float> a0 = default, a1 = default;
            for (int i = 0; i < hd; i++)
            {
                Vector256<float> qi = Vector256.Create(q[i]);
                a0 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + i * B), a0);
                a1 = Vector256.FusedMultiplyAdd(qi, Vector256.Load(k + i * B + 8), a1);
            }
            (a0 * vs).Store(s + b * B);
            (a1 * vs).Store(s + b * B + 8);
        }
    }

    private static void ScoresScalar(float* q, float* keys, int hd, int len, float scale, float* s)
    {
        for (int p = 0; p < len; p++)
        {
            float* k = keys + (long)(p / B) * hd * B + p % B;
            float a = 0;
            for (int i = 0; i < hd; i++) a = MathF.FusedMultiplyAdd(q[i], k[i * B], a);
            s[p] = a * scale;
        }
    }

    // Weighted sums: o[i] = Σ_p w[p]·v[i][p], lane j of the accumulator taking positions ≡ j (mod width) in order,
    // then the lanes summed. Four components at a time for independent chains. Lanes past len carry weight 0 and
    // are masked to 0 in the values too, since what lies there was never written (it may not even be a number).

    private static void Weighted512(float* w, float* values, int hd, int len, float inv, float* o)
    {
        int full = len / B, tail = len % B, stride = hd * B;
        Vector512<float> keep = tail > 0 ? Vector512.LessThan(Lanes512, Vector512.Create(tail)).AsSingle() : default;
        float* last = values + (long)full * stride;
        int i = 0;
        for (; i + 4 <= hd; i += 4)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float* v = values + i * B;
            for (int b = 0; b < full; b++, v += stride)
            {
                Vector512<float> wb = Vector512.Load(w + b * B);
                a0 = Vector512.FusedMultiplyAdd(wb, Vector512.Load(v), a0);
                a1 = Vector512.FusedMultiplyAdd(wb, Vector512.Load(v + B), a1);
                a2 = Vector512.FusedMultiplyAdd(wb, Vector512.Load(v + 2 * B), a2);
                a3 = Vector512.FusedMultiplyAdd(wb, Vector512.Load(v + 3 * B), a3);
            }
            if (tail > 0)
            {
                Vector512<float> wb = Vector512.Load(w + full * B);
                float* t = last + i * B;
                a0 = Vector512.FusedMultiplyAdd(wb, Vector512.ConditionalSelect(keep, Vector512.Load(t), default), a0);
                a1 = Vector512.FusedMultiplyAdd(wb, Vector512.ConditionalSelect(keep, Vector512.Load(t + B), default), a1);
                a2 = Vector512.FusedMultiplyAdd(wb, Vector512.ConditionalSelect(keep, Vector512.Load(t + 2 * B), default), a2);
                a3 = Vector512.FusedMultiplyAdd(wb, Vector512.ConditionalSelect(keep, Vector512.Load(t + 3 * B), default), a3);
            }
            o[i] = Vector512.Sum(a0) * inv;
            o[i + 1] = Vector512.Sum(a1) * inv;
            o[i + 2] = Vector512.Sum(a2) * inv;
            o[i + 3] = Vector512.Sum(a3) * inv;
        }
        for (; i < hd; i++)
        {
            Vector512<float> a = default;
            float* v = values + i * B;
            for (int b = 0; b < full; b++, v += stride) a = Vector512.FusedMultiplyAdd(Vector512.Load(w + b * B), Vector512.Load(v), a);
            if (tail > 0) a = Vector512.FusedMultiplyAdd(Vector512.Load(w + full * B), Vector512.ConditionalSelect(keep, Vector512.Load(last + i * B), default), a);
            o[i] = Vector512.Sum(a) * inv;
        }
    }

    private static void Weighted256(float* w, float* values, int hd, int len, float inv, float* o)
    {
        int full = len / B, tail = len % B, stride = hd * B;
        Vector256<float> keepLo = Vector256.LessThan(Lanes256, Vector256.Create(tail)).AsSingle();
        Vector256<float> keepHi = Vector256.LessThan(Lanes256 + Vector256.Create(8), Vector256.Create(tail)).AsSingle();
        float* last = values + (long)full * stride;
        int i = 0;
        for (; i + 2 <= hd; i += 2)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            float* v = values + i * B;
            for (int b = 0; b < full; b++, v += stride)
            {
                Vector256<float> lo = Vector256.Load(w + b * B), hi = Vector256.Load(w + b * B + 8);
                a0 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(v), a0);
                a1 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(v + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(lo, Vector256.Load(v + B), a2);
                a3 = Vector256.FusedMultiplyAdd(hi, Vector256.Load(v + B + 8), a3);
            }
            if (tail > 0)
            {
                Vector256<float> lo = Vector256.Load(w + full * B), hi = Vector256.Load(w + full * B + 8);
                float* t = last + i * B;
                a0 = Vector256.FusedMultiplyAdd(lo, Vector256.ConditionalSelect(keepLo, Vector256.Load(t), default), a0);
                a1 = Vector256.FusedMultiplyAdd(hi, Vector256.ConditionalSelect(keepHi, Vector256.Load(t + 8), default), a1);
                a2 = Vector256.FusedMultiplyAdd(lo, Vector256.ConditionalSelect(keepLo, Vector256.Load(t + B), default), a2);
                a3 = Vector256.FusedMultiplyAdd(hi, Vector256.ConditionalSelect(keepHi, Vector256.Load(t + B + 8), default), a3);
            }
            o[i] = Vector256.Sum(a0 + a1) * inv;
            o[i + 1] = Vector256.Sum(a2 + a3) * inv;
        }
        for (; i < hd; i++)
        {
            Vector256<float> a0 = default, a1 = default;
            float* v = values + i * B;
            for (int b = 0; b < full; b++, v += stride)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + b * B), Vector256.Load(v), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + b * B + 8), Vector256.Load(v + 8), a1);
            }
            if (tail > 0)
            {
                float* t = last + i * B;
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + full * B), Vector256.ConditionalSelect(keepLo, Vector256.Load(t), default), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + full * B + 8), Vector256.ConditionalSelect(keepHi, Vector256.Load(t + 8), default), a1);
            }
            o[i] = Vector256.Sum(a0 + a1) * inv;
        }
    }

    private static void WeightedScalar(float* w, float* values, int hd, int len, float inv, float* o)
    {
        for (int i = 0; i < hd; i++)
        {
            float a = 0;
            for (int p = 0; p < len; p++) a = MathF.FusedMultiplyAdd(w[p], values[(long)(p / B) * hd * B + i * B + p % B], a);
            o[i] = a * inv;
        }
    }

    private static readonly Vector512<int> Lanes512 = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    private static readonly Vector256<int> Lanes256 = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
}

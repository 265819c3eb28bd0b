using System.Runtime.Intrinsics;
using Cria.Generation;
using Cria.Tensors;

namespace Cria.Model;

/// <summary>
/// Attention of one query head against the first <c>len</c> positions of a KV cache: scores, softmax, and the
/// weighted sum of values. Shared by every forward path so that a token gets the same result whether it came in
/// a prompt, alone, or in a batch of sequences. The SIMD choice is made once per head rather than per position,
/// and small or odd head sizes use plain loops, since a call per position dominated models with tiny heads.
/// </summary>
internal static unsafe class HeadAttention
{
    public static void Attend(float* q, KvCache cache, int layer, int kvOffset, int len, int hd, float scale, float* scores, float* o)
    {
        float* keys = cache.Keys(layer, 0) + kvOffset;
        float* values = cache.Values(layer, 0) + kvOffset;
        int stride = cache.KvDim;
        if (Simd.Level == SimdLevel.V512 && hd % 16 == 0)
        {
            for (int p = 0; p < len; p++)
            {
                float* k = keys + (long)p * stride;
                Vector512<float> acc = Vector512<float>.Zero;
                for (int i = 0; i < hd; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(q + i), Vector512.Load(k + i), acc);
                scores[p] = Vector512.Sum(acc) * scale;
            }
            Kernels.Softmax(scores, len);
            for (int i = 0; i < hd; i += 16)
            {
                Vector512<float> acc = Vector512<float>.Zero;
                for (int p = 0; p < len; p++) acc = Vector512.FusedMultiplyAdd(Vector512.Create(scores[p]), Vector512.Load(values + (long)p * stride + i), acc);
                acc.Store(o + i);
            }
        }
        else if (Simd.Level >= SimdLevel.V256 && hd % 8 == 0)
        {
            for (int p = 0; p < len; p++)
            {
                float* k = keys + (long)p * stride;
                Vector256<float> acc = Vector256<float>.Zero;
                for (int i = 0; i < hd; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(q + i), Vector256.Load(k + i), acc);
                scores[p] = Vector256.Sum(acc) * scale;
            }
            Kernels.Softmax(scores, len);
            for (int i = 0; i < hd; i += 8)
            {
                Vector256<float> acc = Vector256<float>.Zero;
                for (int p = 0; p < len; p++) acc = Vector256.FusedMultiplyAdd(Vector256.Create(scores[p]), Vector256.Load(values + (long)p * stride + i), acc);
                acc.Store(o + i);
            }
        }
        else
        {
            for (int p = 0; p < len; p++)
            {
                float* k = keys + (long)p * stride;
                float s = 0;
                for (int i = 0; i < hd; i++) s += q[i] * k[i];
                scores[p] = s * scale;
            }
            Kernels.Softmax(scores, len);
            for (int i = 0; i < hd; i++)
            {
                float acc = 0;
                float* v = values + i;
                for (int p = 0; p < len; p++) acc = MathF.FusedMultiplyAdd(scores[p], v[(long)p * stride], acc);
                o[i] = acc;
            }
        }
    }
}

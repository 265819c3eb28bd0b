using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// The rounding of activations that MatMul applies before Q8_0 / Q4_0 products, written out independently:
/// per block of 32, d = fp16(max|x| / 127), q = round-half-even(x · 127 / max|x|); the value used is q·d.
/// </summary>
internal static class Int8ActivationReference
{
    public static (sbyte[] Q, float[] D) Quantize(ReadOnlySpan<float> x)
    {
        sbyte[] q = new sbyte[x.Length];
        float[] d = new float[x.Length / 32];
        for (int b = 0; b < d.Length; b++)
        {
            float amax = 0;
            for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[b * 32 + i]));
            float id = amax != 0 ? 127f / amax : 0f;
            d[b] = (float)(Half)(amax / 127f);
            for (int i = 0; i < 32; i++) q[b * 32 + i] = (sbyte)MathF.Round(x[b * 32 + i] * id, MidpointRounding.ToEven);
        }
        return (q, d);
    }

    /// <summary>Blocks of 256 (K-quant weights): d = max|x| / 127 kept in float32, the same rounding.</summary>
    public static (sbyte[] Q, float[] D) Quantize256(ReadOnlySpan<float> x)
    {
        sbyte[] q = new sbyte[x.Length];
        float[] d = new float[x.Length / 256];
        for (int b = 0; b < d.Length; b++)
        {
            float amax = 0;
            for (int i = 0; i < 256; i++) amax = MathF.Max(amax, MathF.Abs(x[b * 256 + i]));
            float id = amax != 0 ? 127f / amax : 0f;
            d[b] = amax / 127f;
            for (int i = 0; i < 256; i++) q[b * 256 + i] = (sbyte)MathF.Round(x[b * 256 + i] * id, MidpointRounding.ToEven);
        }
        return (q, d);
    }

    /// <summary>x as the product for weights of <paramref name="type"/> sees it.</summary>
    public static double[] Rounded(ReadOnlySpan<float> x, DType type = DType.Q8_0)
    {
        int block = type.BlockSize();
        (sbyte[] q, float[] d) = block == 256 ? Quantize256(x) : Quantize(x);
        double[] r = new double[x.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (double)q[i] * d[i / block];
        return r;
    }
}

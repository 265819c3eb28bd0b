using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Element-wise and reduction kernels on float32, each with Vector512/256/128 paths and a scalar tail,
/// selected by <see cref="Simd.Level"/>.
/// </summary>
public static unsafe class Kernels
{
    public static float Dot(float* a, float* b, int n) => Simd.Level switch
    {
        SimdLevel.V512 => Dot512(a, b, n),
        SimdLevel.V256 => Dot256(a, b, n),
        SimdLevel.V128 => Dot128(a, b, n),
        _ => DotScalar(a, b, n),
    };

    public static float DotScalar(float* a, float* b, int n)
    {
        float s = 0;
        for (int i = 0; i < n; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(float* a, float* b, int n)
    {
        Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 64; i += 64)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(b + i + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 32), Vector512.Load(b + i + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 48), Vector512.Load(b + i + 48), s3);
        }
        for (; i <= n - 16; i += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), s0);
        float s = Vector512.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(float* a, float* b, int n)
    {
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 32; i += 32)
        {
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 16), Vector256.Load(b + i + 16), s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i + 24), Vector256.Load(b + i + 24), s3);
        }
        for (; i <= n - 8; i += 8) s0 = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), s0);
        float s = Vector256.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    private static float Dot128(float* a, float* b, int n)
    {
        Vector128<float> s0 = Vector128<float>.Zero, s1 = s0;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            s0 = Vector128.FusedMultiplyAdd(Vector128.Load(a + i), Vector128.Load(b + i), s0);
            s1 = Vector128.FusedMultiplyAdd(Vector128.Load(a + i + 4), Vector128.Load(b + i + 4), s1);
        }
        for (; i <= n - 4; i += 4) s0 = Vector128.FusedMultiplyAdd(Vector128.Load(a + i), Vector128.Load(b + i), s0);
        float s = Vector128.Sum(s0 + s1);
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y += a * x.</summary>
    public static void Axpy(float a, float* x, float* y, int n)
    {
        int i = 0;
        switch (Simd.Level)
        {
            case SimdLevel.V512:
                Vector512<float> va = Vector512.Create(a);
                for (; i <= n - 16; i += 16) Vector512.Store(Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)), y + i);
                break;
            case SimdLevel.V256:
                Vector256<float> vb = Vector256.Create(a);
                for (; i <= n - 8; i += 8) Vector256.Store(Vector256.FusedMultiplyAdd(vb, Vector256.Load(x + i), Vector256.Load(y + i)), y + i);
                break;
            case SimdLevel.V128:
                Vector128<float> vc = Vector128.Create(a);
                for (; i <= n - 4; i += 4) Vector128.Store(Vector128.FusedMultiplyAdd(vc, Vector128.Load(x + i), Vector128.Load(y + i)), y + i);
                break;
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    /// <summary>o = x * w / sqrt(mean(x²) + eps), as LLaMA's RMSNorm (sum accumulated in float64 for stability).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RmsNorm(float* o, float* x, float[] w, int n, float eps)
    {
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
        float scale = (float)(1.0 / Math.Sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) o[i] = w[i] * (scale * x[i]);
    }

    /// <summary>In-place softmax over x[0..n).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(float* x, int n)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) if (x[i] > max) max = x[i];
        float sum = 0;
        for (int i = 0; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[i] *= inv;
    }

    /// <summary>
    /// gate = silu(gate) * up, with <see cref="VectorExp"/>: every element goes through the same operations whether
    /// it falls in a vector or in the tail, so a token's result does not depend on how many tokens share the call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SwiGlu(float* gate, float* up, int n)
    {
        int i = 0;
        if (Simd.Level == SimdLevel.V512)
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> g = Vector512.Load(gate + i);
                (g / (Vector512<float>.One + VectorExp.Exp(-g)) * Vector512.Load(up + i)).Store(gate + i);
            }
        else if (Simd.Level == SimdLevel.V256)
            for (; i <= n - 8; i += 8)
            {
                Vector256<float> g = Vector256.Load(gate + i);
                (g / (Vector256<float>.One + VectorExp.Exp(-g)) * Vector256.Load(up + i)).Store(gate + i);
            }
        for (; i < n; i++)
        {
            float g = gate[i];
            gate[i] = g / (1f + VectorExp.Exp(-g)) * up[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(float* y, float* x, int n)
    {
        for (int i = 0; i < n; i++) y[i] += x[i];
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Outer-product micro-kernels for <see cref="Gemm"/>: an MR×NR tile of C held in registers, updated once per k
/// with MR broadcast values of packed A times NR/lanes vectors of packed B. Every element of C is one fused
/// multiply-add chain over k in increasing order, starting from C's old value (or zero), so all widths give the
/// same bits and the tile and cache blocking never change a result.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>AVX-512 tile: 14 rows × 32 columns = 28 zmm accumulators, 2 for B, 1 for the broadcast.</summary>
    public const int Mr512 = 14, Nr512 = 32;

    /// <summary>AVX2 tile: 6 rows × 16 columns = 12 ymm accumulators (of 16 registers).</summary>
    public const int Mr256 = 6, Nr256 = 16;

    public const int MrScalar = 4, NrScalar = 4;

    /// <summary>c[i, j] = fma-chain over p &lt; kc of a[p·14 + i]·b[p·32 + j], starting at c (load) or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512(float* a, float* b, int kc, float* c, long ldc, bool load)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61;
        Vector512<float> c70, c71, c80, c81, c90, c91, ca0, ca1, cb0, cb1, cc0, cc1, cd0, cd1;
        if (load)
        {
            float* r = c;
            c00 = Vector512.Load(r); c01 = Vector512.Load(r + 16); r += ldc;
            c10 = Vector512.Load(r); c11 = Vector512.Load(r + 16); r += ldc;
            c20 = Vector512.Load(r); c21 = Vector512.Load(r + 16); r += ldc;
            c30 = Vector512.Load(r); c31 = Vector512.Load(r + 16); r += ldc;
            c40 = Vector512.Load(r); c41 = Vector512.Load(r + 16); r += ldc;
            c50 = Vector512.Load(r); c51 = Vector512.Load(r + 16); r += ldc;
            c60 = Vector512.Load(r); c61 = Vector512.Load(r + 16); r += ldc;
            c70 = Vector512.Load(r); c71 = Vector512.Load(r + 16); r += ldc;
            c80 = Vector512.Load(r); c81 = Vector512.Load(r + 16); r += ldc;
            c90 = Vector512.Load(r); c91 = Vector512.Load(r + 16); r += ldc;
            ca0 = Vector512.Load(r); ca1 = Vector512.Load(r + 16); r += ldc;
            cb0 = Vector512.Load(r); cb1 = Vector512.Load(r + 16); r += ldc;
            cc0 = Vector512.Load(r); cc1 = Vector512.Load(r + 16); r += ldc;
            cd0 = Vector512.Load(r); cd1 = Vector512.Load(r + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = c60 = c61 = Vector512<float>.Zero;
            c70 = c71 = c80 = c81 = c90 = c91 = ca0 = ca1 = cb0 = cb1 = cc0 = cc1 = cd0 = cd1 = Vector512<float>.Zero;
        }
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> s = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(s, b0, c00); c01 = Vector512.FusedMultiplyAdd(s, b1, c01);
            s = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(s, b0, c10); c11 = Vector512.FusedMultiplyAdd(s, b1, c11);
            s = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(s, b0, c20); c21 = Vector512.FusedMultiplyAdd(s, b1, c21);
            s = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(s, b0, c30); c31 = Vector512.FusedMultiplyAdd(s, b1, c31);
            s = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(s, b0, c40); c41 = Vector512.FusedMultiplyAdd(s, b1, c41);
            s = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(s, b0, c50); c51 = Vector512.FusedMultiplyAdd(s, b1, c51);
            s = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(s, b0, c60); c61 = Vector512.FusedMultiplyAdd(s, b1, c61);
            s = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(s, b0, c70); c71 = Vector512.FusedMultiplyAdd(s, b1, c71);
            s = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(s, b0, c80); c81 = Vector512.FusedMultiplyAdd(s, b1, c81);
            s = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(s, b0, c90); c91 = Vector512.FusedMultiplyAdd(s, b1, c91);
            s = Vector512.Create(a[10]);
            ca0 = Vector512.FusedMultiplyAdd(s, b0, ca0); ca1 = Vector512.FusedMultiplyAdd(s, b1, ca1);
            s = Vector512.Create(a[11]);
            cb0 = Vector512.FusedMultiplyAdd(s, b0, cb0); cb1 = Vector512.FusedMultiplyAdd(s, b1, cb1);
            s = Vector512.Create(a[12]);
            cc0 = Vector512.FusedMultiplyAdd(s, b0, cc0); cc1 = Vector512.FusedMultiplyAdd(s, b1, cc1);
            s = Vector512.Create(a[13]);
            cd0 = Vector512.FusedMultiplyAdd(s, b0, cd0); cd1 = Vector512.FusedMultiplyAdd(s, b1, cd1);
            a += Mr512;
            b += Nr512;
        }
        float* o = c;
        Vector512.Store(c00, o); Vector512.Store(c01, o + 16); o += ldc;
        Vector512.Store(c10, o); Vector512.Store(c11, o + 16); o += ldc;
        Vector512.Store(c20, o); Vector512.Store(c21, o + 16); o += ldc;
        Vector512.Store(c30, o); Vector512.Store(c31, o + 16); o += ldc;
        Vector512.Store(c40, o); Vector512.Store(c41, o + 16); o += ldc;
        Vector512.Store(c50, o); Vector512.Store(c51, o + 16); o += ldc;
        Vector512.Store(c60, o); Vector512.Store(c61, o + 16); o += ldc;
        Vector512.Store(c70, o); Vector512.Store(c71, o + 16); o += ldc;
        Vector512.Store(c80, o); Vector512.Store(c81, o + 16); o += ldc;
        Vector512.Store(c90, o); Vector512.Store(c91, o + 16); o += ldc;
        Vector512.Store(ca0, o); Vector512.Store(ca1, o + 16); o += ldc;
        Vector512.Store(cb0, o); Vector512.Store(cb1, o + 16); o += ldc;
        Vector512.Store(cc0, o); Vector512.Store(cc1, o + 16); o += ldc;
        Vector512.Store(cd0, o); Vector512.Store(cd1, o + 16);
    }

    /// <summary>The AVX2 tile (6×16), same chain order as <see cref="Kernel512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256(float* a, float* b, int kc, float* c, long ldc, bool load)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            float* r = c;
            c00 = Vector256.Load(r); c01 = Vector256.Load(r + 8); r += ldc;
            c10 = Vector256.Load(r); c11 = Vector256.Load(r + 8); r += ldc;
            c20 = Vector256.Load(r); c21 = Vector256.Load(r + 8); r += ldc;
            c30 = Vector256.Load(r); c31 = Vector256.Load(r + 8); r += ldc;
            c40 = Vector256.Load(r); c41 = Vector256.Load(r + 8); r += ldc;
            c50 = Vector256.Load(r); c51 = Vector256.Load(r + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> s = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(s, b0, c00); c01 = Vector256.FusedMultiplyAdd(s, b1, c01);
            s = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(s, b0, c10); c11 = Vector256.FusedMultiplyAdd(s, b1, c11);
            s = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(s, b0, c20); c21 = Vector256.FusedMultiplyAdd(s, b1, c21);
            s = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(s, b0, c30); c31 = Vector256.FusedMultiplyAdd(s, b1, c31);
            s = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(s, b0, c40); c41 = Vector256.FusedMultiplyAdd(s, b1, c41);
            s = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(s, b0, c50); c51 = Vector256.FusedMultiplyAdd(s, b1, c51);
            a += Mr256;
            b += Nr256;
        }
        float* o = c;
        Vector256.Store(c00, o); Vector256.Store(c01, o + 8); o += ldc;
        Vector256.Store(c10, o); Vector256.Store(c11, o + 8); o += ldc;
        Vector256.Store(c20, o); Vector256.Store(c21, o + 8); o += ldc;
        Vector256.Store(c30, o); Vector256.Store(c31, o + 8); o += ldc;
        Vector256.Store(c40, o); Vector256.Store(c41, o + 8); o += ldc;
        Vector256.Store(c50, o); Vector256.Store(c51, o + 8);
    }

    /// <summary>The portable tile (4×4) with scalar fused multiply-adds: the same bits as the vector tiles.</summary>
    public static void KernelScalar(float* a, float* b, int kc, float* c, long ldc, bool load)
    {
        float* acc = stackalloc float[MrScalar * NrScalar];
        for (int i = 0; i < MrScalar; i++)
            for (int j = 0; j < NrScalar; j++)
                acc[i * NrScalar + j] = load ? c[i * ldc + j] : 0f;
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < MrScalar; i++)
            {
                float s = a[i];
                for (int j = 0; j < NrScalar; j++) acc[i * NrScalar + j] = MathF.FusedMultiplyAdd(s, b[j], acc[i * NrScalar + j]);
            }
            a += MrScalar;
            b += NrScalar;
        }
        for (int i = 0; i < MrScalar; i++)
            for (int j = 0; j < NrScalar; j++)
                c[i * ldc + j] = acc[i * NrScalar + j];
    }
}

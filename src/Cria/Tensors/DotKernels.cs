using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Register-blocked dot products for matrix multiplication. Every (row, token) pair is summed in one
/// canonical order — a single vector accumulator over full vectors, a horizontal sum, then the scalar tail —
/// whichever blocking computes it, so prompt prefill and token-by-token decoding give bit-identical results
/// at a given SIMD level.
/// </summary>
internal static unsafe class DotKernels
{
    /// <summary>y[t*ldy + r] = dot(w row r, x row t) for rows [0, rows) and tokens [0, tokens).</summary>
    public static void Block(float* w, int rows, float* x, int tokens, int k, float* y, int ldy)
    {
        switch (Simd.Level)
        {
            case SimdLevel.V512: Block512(w, rows, x, tokens, k, y, ldy); break;
            case SimdLevel.V256: Block256(w, rows, x, tokens, k, y, ldy); break;
            case SimdLevel.V128: Block128(w, rows, x, tokens, k, y, ldy); break;
            default: BlockScalar(w, rows, x, tokens, k, y, ldy); break;
        }
    }

    private static void BlockScalar(float* w, int rows, float* x, int tokens, int k, float* y, int ldy)
    {
        for (int t = 0; t < tokens; t++)
            for (int r = 0; r < rows; r++)
                y[(long)t * ldy + r] = Tail(w + (long)r * k, x + (long)t * k, 0, k, 0f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* a, float* b, int from, int k, float s)
    {
        for (int i = from; i < k; i++) s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block512(float* w, int rows, float* x, int tokens, int k, float* y, int ldy)
    {
        int kv = k & ~15;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            float* w0 = w + (long)r * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
            int t = 0;
            for (; t + 4 <= tokens; t += 4)
            {
                float* x0 = x + (long)t * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                for (int i = 0; i < kv; i += 16)
                {
                    Vector512<float> vx0 = Vector512.Load(x0 + i), vx1 = Vector512.Load(x1 + i), vx2 = Vector512.Load(x2 + i), vx3 = Vector512.Load(x3 + i);
                    Vector512<float> vw = Vector512.Load(w0 + i);
                    a00 = Vector512.FusedMultiplyAdd(vw, vx0, a00); a01 = Vector512.FusedMultiplyAdd(vw, vx1, a01);
                    a02 = Vector512.FusedMultiplyAdd(vw, vx2, a02); a03 = Vector512.FusedMultiplyAdd(vw, vx3, a03);
                    vw = Vector512.Load(w1 + i);
                    a10 = Vector512.FusedMultiplyAdd(vw, vx0, a10); a11 = Vector512.FusedMultiplyAdd(vw, vx1, a11);
                    a12 = Vector512.FusedMultiplyAdd(vw, vx2, a12); a13 = Vector512.FusedMultiplyAdd(vw, vx3, a13);
                    vw = Vector512.Load(w2 + i);
                    a20 = Vector512.FusedMultiplyAdd(vw, vx0, a20); a21 = Vector512.FusedMultiplyAdd(vw, vx1, a21);
                    a22 = Vector512.FusedMultiplyAdd(vw, vx2, a22); a23 = Vector512.FusedMultiplyAdd(vw, vx3, a23);
                    vw = Vector512.Load(w3 + i);
                    a30 = Vector512.FusedMultiplyAdd(vw, vx0, a30); a31 = Vector512.FusedMultiplyAdd(vw, vx1, a31);
                    a32 = Vector512.FusedMultiplyAdd(vw, vx2, a32); a33 = Vector512.FusedMultiplyAdd(vw, vx3, a33);
                }
                float* yt = y + (long)t * ldy + r;
                Store4(yt, ldy, kv, k, w0, w1, w2, w3, x0, a00, a10, a20, a30);
                Store4(yt + ldy, ldy, kv, k, w0, w1, w2, w3, x1, a01, a11, a21, a31);
                Store4(yt + 2 * ldy, ldy, kv, k, w0, w1, w2, w3, x2, a02, a12, a22, a32);
                Store4(yt + 3 * ldy, ldy, kv, k, w0, w1, w2, w3, x3, a03, a13, a23, a33);
            }
            for (; t < tokens; t++)
            {
                float* x0 = x + (long)t * k;
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < kv; i += 16)
                {
                    Vector512<float> vx = Vector512.Load(x0 + i);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), vx, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), vx, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), vx, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), vx, a3);
                }
                Store4(y + (long)t * ldy + r, ldy, kv, k, w0, w1, w2, w3, x0, a0, a1, a2, a3);
            }
        }
        for (; r < rows; r++)
        {
            float* wr = w + (long)r * k;
            for (int t = 0; t < tokens; t++)
            {
                float* xt = x + (long)t * k;
                Vector512<float> a = default;
                for (int i = 0; i < kv; i += 16) a = Vector512.FusedMultiplyAdd(Vector512.Load(wr + i), Vector512.Load(xt + i), a);
                y[(long)t * ldy + r] = Tail(wr, xt, kv, k, Vector512.Sum(a));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* yt, int ldy, int kv, int k, float* w0, float* w1, float* w2, float* w3, float* xt,
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        yt[0] = Tail(w0, xt, kv, k, Vector512.Sum(a0));
        yt[1] = Tail(w1, xt, kv, k, Vector512.Sum(a1));
        yt[2] = Tail(w2, xt, kv, k, Vector512.Sum(a2));
        yt[3] = Tail(w3, xt, kv, k, Vector512.Sum(a3));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block256(float* w, int rows, float* x, int tokens, int k, float* y, int ldy)
    {
        int kv = k & ~7;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            float* w0 = w + (long)r * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
            int t = 0;
            for (; t + 2 <= tokens; t += 2)
            {
                float* x0 = x + (long)t * k, x1 = x0 + k;
                Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int i = 0; i < kv; i += 8)
                {
                    Vector256<float> vx0 = Vector256.Load(x0 + i), vx1 = Vector256.Load(x1 + i);
                    Vector256<float> vw = Vector256.Load(w0 + i);
                    a00 = Vector256.FusedMultiplyAdd(vw, vx0, a00); a01 = Vector256.FusedMultiplyAdd(vw, vx1, a01);
                    vw = Vector256.Load(w1 + i);
                    a10 = Vector256.FusedMultiplyAdd(vw, vx0, a10); a11 = Vector256.FusedMultiplyAdd(vw, vx1, a11);
                    vw = Vector256.Load(w2 + i);
                    a20 = Vector256.FusedMultiplyAdd(vw, vx0, a20); a21 = Vector256.FusedMultiplyAdd(vw, vx1, a21);
                    vw = Vector256.Load(w3 + i);
                    a30 = Vector256.FusedMultiplyAdd(vw, vx0, a30); a31 = Vector256.FusedMultiplyAdd(vw, vx1, a31);
                }
                float* yt = y + (long)t * ldy + r;
                yt[0] = Tail(w0, x0, kv, k, Vector256.Sum(a00));
                yt[1] = Tail(w1, x0, kv, k, Vector256.Sum(a10));
                yt[2] = Tail(w2, x0, kv, k, Vector256.Sum(a20));
                yt[3] = Tail(w3, x0, kv, k, Vector256.Sum(a30));
                yt += ldy;
                yt[0] = Tail(w0, x1, kv, k, Vector256.Sum(a01));
                yt[1] = Tail(w1, x1, kv, k, Vector256.Sum(a11));
                yt[2] = Tail(w2, x1, kv, k, Vector256.Sum(a21));
                yt[3] = Tail(w3, x1, kv, k, Vector256.Sum(a31));
            }
            for (; t < tokens; t++)
            {
                float* x0 = x + (long)t * k;
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int i = 0; i < kv; i += 8)
                {
                    Vector256<float> vx = Vector256.Load(x0 + i);
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + i), vx, a0);
                    a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + i), vx, a1);
                    a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + i), vx, a2);
                    a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + i), vx, a3);
                }
                float* yt = y + (long)t * ldy + r;
                yt[0] = Tail(w0, x0, kv, k, Vector256.Sum(a0));
                yt[1] = Tail(w1, x0, kv, k, Vector256.Sum(a1));
                yt[2] = Tail(w2, x0, kv, k, Vector256.Sum(a2));
                yt[3] = Tail(w3, x0, kv, k, Vector256.Sum(a3));
            }
        }
        for (; r < rows; r++)
        {
            float* wr = w + (long)r * k;
            for (int t = 0; t < tokens; t++)
            {
                float* xt = x + (long)t * k;
                Vector256<float> a = default;
                for (int i = 0; i < kv; i += 8) a = Vector256.FusedMultiplyAdd(Vector256.Load(wr + i), Vector256.Load(xt + i), a);
                y[(long)t * ldy + r] = Tail(wr, xt, kv, k, Vector256.Sum(a));
            }
        }
    }

    private static void Block128(float* w, int rows, float* x, int tokens, int k, float* y, int ldy)
    {
        int kv = k & ~3;
        for (int r = 0; r < rows; r++)
        {
            float* wr = w + (long)r * k;
            for (int t = 0; t < tokens; t++)
            {
                float* xt = x + (long)t * k;
                Vector128<float> a = default;
                for (int i = 0; i < kv; i += 4) a = Vector128.FusedMultiplyAdd(Vector128.Load(wr + i), Vector128.Load(xt + i), a);
                y[(long)t * ldy + r] = Tail(wr, xt, kv, k, Vector128.Sum(a));
            }
        }
    }
}

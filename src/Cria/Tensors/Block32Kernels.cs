using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>
/// y = x·Wᵀ for Q8_0 / Q4_0 weights against int8 activation blocks (<see cref="ActivationBlocks"/>), read straight
/// from the GGUF block layout. Every (row, token) value is computed in one canonical order — per block, eight int32
/// lanes of the integer dot product, converted to float and accumulated lane-wise as acc = lanes·(d_w·d_x) + acc
/// with one rounding, then summed as ((a0+a4)+(a1+a5)) + ((a2+a6)+(a3+a7)) — whichever tile computes it and
/// whichever path (AVX-VNNI, AVX2 or the scalar emulation) runs, so results are bit-identical across batch sizes,
/// thread counts and SIMD levels.
/// </summary>
internal static unsafe class Block32Kernels
{
    /// <summary>y[t*ldy + r] for rows [r0, r0+rows) of W (rowBytes apart) and all tokens of a.</summary>
    public static void Rows<TF, TD>(byte* w, long rowBytes, int rows, ActivationBlocks a, float* y, int ldy)
        where TF : IBlock32 where TD : IInt8Dot
    {
        int tokens = a.Tokens, nb = a.BlocksPerToken;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            byte* w0 = w + r * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
            int t = 0;
            for (; t + 4 <= tokens; t += 4) Tile4x4<TF, TD>(w0, w1, w2, w3, a, t, nb, y + (long)t * ldy + r, ldy);
            for (; t < tokens; t++) Tile4x1<TF, TD>(w0, w1, w2, w3, a.Q(t), a.D(t), nb, y + (long)t * ldy + r);
        }
        for (; r < rows; r++)
            for (int t = 0; t < tokens; t++)
                y[(long)t * ldy + r] = One<TF, TD>(w + r * rowBytes, a.Q(t), a.D(t), nb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Acc(Vector256<int> lanes, Vector256<float> scale, Vector256<float> acc)
        => Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(lanes), scale, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector256<float> v)
    {
        Vector128<float> h = v.GetLower() + v.GetUpper();
        return (h.GetElement(0) + h.GetElement(1)) + (h.GetElement(2) + h.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float One<TF, TD>(byte* w, sbyte* xq, float* xd, int nb) where TF : IBlock32 where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        Vector256<float> acc = default;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * TF.Bytes;
            Vector256<sbyte> x = Vector256.Load(xq + b * 32), v = TF.Load(blk);
            TF.PrepareToken<TD>(x, out Vector256<byte> xu, out Vector256<int> tb);
            TF.PrepareRow<TD>(v, out Vector256<byte> vu, out Vector256<int> rb);
            acc = Acc(TF.Pair<TD>(v, vu, rb, x, xu, tb), Vector256.Create(HalfTable.Read(half, blk)) * Vector256.Create(xd[b]), acc);
        }
        return Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1<TF, TD>(byte* w0, byte* w1, byte* w2, byte* w3, sbyte* xq, float* xd, int nb, float* y)
        where TF : IBlock32 where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < nb; b++)
        {
            long o = (long)b * TF.Bytes;
            Vector256<sbyte> x = Vector256.Load(xq + b * 32);
            TF.PrepareToken<TD>(x, out Vector256<byte> xu, out Vector256<int> tb);
            Vector256<float> dx = Vector256.Create(xd[b]);
            a0 = Step<TF, TD>(half, w0 + o, x, xu, tb, dx, a0);
            a1 = Step<TF, TD>(half, w1 + o, x, xu, tb, dx, a1);
            a2 = Step<TF, TD>(half, w2 + o, x, xu, tb, dx, a2);
            a3 = Step<TF, TD>(half, w3 + o, x, xu, tb, dx, a3);
        }
        y[0] = Sum(a0);
        y[1] = Sum(a1);
        y[2] = Sum(a2);
        y[3] = Sum(a3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Step<TF, TD>(float* half, byte* blk, Vector256<sbyte> x, Vector256<byte> xu, Vector256<int> tb, Vector256<float> dx, Vector256<float> acc)
        where TF : IBlock32 where TD : IInt8Dot
    {
        Vector256<sbyte> v = TF.Load(blk);
        TF.PrepareRow<TD>(v, out Vector256<byte> vu, out Vector256<int> rb);
        return Acc(TF.Pair<TD>(v, vu, rb, x, xu, tb), Vector256.Create(HalfTable.Read(half, blk)) * dx, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4<TF, TD>(byte* w0, byte* w1, byte* w2, byte* w3, ActivationBlocks a, int t, int nb, float* y, int ldy)
        where TF : IBlock32 where TD : IInt8Dot
    {
        sbyte* q0 = a.Q(t), q1 = a.Q(t + 1), q2 = a.Q(t + 2), q3 = a.Q(t + 3);
        float* d0 = a.D(t), d1 = a.D(t + 1), d2 = a.D(t + 2), d3 = a.D(t + 3);
        float* half = HalfTable.Values;
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int b = 0; b < nb; b++)
        {
            long o = (long)b * TF.Bytes;
            int xo = b * 32;
            Vector256<sbyte> x0 = Vector256.Load(q0 + xo), x1 = Vector256.Load(q1 + xo), x2 = Vector256.Load(q2 + xo), x3 = Vector256.Load(q3 + xo);
            TF.PrepareToken<TD>(x0, out Vector256<byte> u0, out Vector256<int> b0);
            TF.PrepareToken<TD>(x1, out Vector256<byte> u1, out Vector256<int> b1);
            TF.PrepareToken<TD>(x2, out Vector256<byte> u2, out Vector256<int> b2);
            TF.PrepareToken<TD>(x3, out Vector256<byte> u3, out Vector256<int> b3);
            // The four tokens' scales twice over; one multiply gives a row's four scale products d_w·d_x (the same
            // products the other tiles form one at a time), and an in-lane permute broadcasts each. This moves 12 of
            // the 16 multiplies per block off the two ports that the dot products, conversions and FMAs also need.
            Vector128<float> e = Vector128.Create(d0[b], d1[b], d2[b], d3[b]);
            Vector256<float> e4 = Vector256.Create(e, e);

            Vector256<sbyte> v = TF.Load(w0 + o);
            TF.PrepareRow<TD>(v, out Vector256<byte> vu, out Vector256<int> rb);
            Vector256<float> p = e4 * Vector256.Create(HalfTable.Read(half, w0 + o));
            a00 = Acc(TF.Pair<TD>(v, vu, rb, x0, u0, b0), Avx.Permute(p, 0x00), a00); a01 = Acc(TF.Pair<TD>(v, vu, rb, x1, u1, b1), Avx.Permute(p, 0x55), a01);
            a02 = Acc(TF.Pair<TD>(v, vu, rb, x2, u2, b2), Avx.Permute(p, 0xAA), a02); a03 = Acc(TF.Pair<TD>(v, vu, rb, x3, u3, b3), Avx.Permute(p, 0xFF), a03);
            v = TF.Load(w1 + o);
            TF.PrepareRow<TD>(v, out vu, out rb);
            p = e4 * Vector256.Create(HalfTable.Read(half, w1 + o));
            a10 = Acc(TF.Pair<TD>(v, vu, rb, x0, u0, b0), Avx.Permute(p, 0x00), a10); a11 = Acc(TF.Pair<TD>(v, vu, rb, x1, u1, b1), Avx.Permute(p, 0x55), a11);
            a12 = Acc(TF.Pair<TD>(v, vu, rb, x2, u2, b2), Avx.Permute(p, 0xAA), a12); a13 = Acc(TF.Pair<TD>(v, vu, rb, x3, u3, b3), Avx.Permute(p, 0xFF), a13);
            v = TF.Load(w2 + o);
            TF.PrepareRow<TD>(v, out vu, out rb);
            p = e4 * Vector256.Create(HalfTable.Read(half, w2 + o));
            a20 = Acc(TF.Pair<TD>(v, vu, rb, x0, u0, b0), Avx.Permute(p, 0x00), a20); a21 = Acc(TF.Pair<TD>(v, vu, rb, x1, u1, b1), Avx.Permute(p, 0x55), a21);
            a22 = Acc(TF.Pair<TD>(v, vu, rb, x2, u2, b2), Avx.Permute(p, 0xAA), a22); a23 = Acc(TF.Pair<TD>(v, vu, rb, x3, u3, b3), Avx.Permute(p, 0xFF), a23);
            v = TF.Load(w3 + o);
            TF.PrepareRow<TD>(v, out vu, out rb);
            p = e4 * Vector256.Create(HalfTable.Read(half, w3 + o));
            a30 = Acc(TF.Pair<TD>(v, vu, rb, x0, u0, b0), Avx.Permute(p, 0x00), a30); a31 = Acc(TF.Pair<TD>(v, vu, rb, x1, u1, b1), Avx.Permute(p, 0x55), a31);
            a32 = Acc(TF.Pair<TD>(v, vu, rb, x2, u2, b2), Avx.Permute(p, 0xAA), a32); a33 = Acc(TF.Pair<TD>(v, vu, rb, x3, u3, b3), Avx.Permute(p, 0xFF), a33);
        }
        y[0] = Sum(a00); y[1] = Sum(a10); y[2] = Sum(a20); y[3] = Sum(a30);
        y += ldy;
        y[0] = Sum(a01); y[1] = Sum(a11); y[2] = Sum(a21); y[3] = Sum(a31);
        y += ldy;
        y[0] = Sum(a02); y[1] = Sum(a12); y[2] = Sum(a22); y[3] = Sum(a32);
        y += ldy;
        y[0] = Sum(a03); y[1] = Sum(a13); y[2] = Sum(a23); y[3] = Sum(a33);
    }

    /// <summary>The same arithmetic one lane at a time, for CPUs without AVX2 (and as the tests' reference).</summary>
    public static void RowsScalar<TF>(byte* w, long rowBytes, int rows, ActivationBlocks a, float* y, int ldy) where TF : IBlock32
    {
        float* acc = stackalloc float[8];
        float* half = HalfTable.Values;
        for (int r = 0; r < rows; r++)
        {
            byte* wr = w + r * rowBytes;
            for (int t = 0; t < a.Tokens; t++)
            {
                sbyte* xq = a.Q(t);
                float* xd = a.D(t);
                for (int l = 0; l < 8; l++) acc[l] = 0;
                for (int b = 0; b < a.BlocksPerToken; b++)
                {
                    byte* blk = wr + b * TF.Bytes;
                    sbyte* xb = xq + b * 32;
                    float scale = HalfTable.Read(half, blk) * xd[b];
                    for (int l = 0; l < 8; l++)
                    {
                        int lane = 0;
                        for (int j = 4 * l; j < 4 * l + 4; j++) lane += TF.Value(blk, j) * xb[j];
                        acc[l] = MathF.FusedMultiplyAdd(lane, scale, acc[l]);
                    }
                }
                y[(long)t * ldy + r] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
            }
        }
    }
}

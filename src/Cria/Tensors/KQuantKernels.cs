using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>
/// y = x·Wᵀ for Q4_K / Q6_K weights against int8 activation blocks of 256 with per-16 sums
/// (<see cref="ActivationBlocks"/>), read straight from the GGUF super-block layout. Per super-block the integer
/// part is exact (Σ over sub-blocks of scale · Σ q·x, minus the min/offset term from the activation sums), and
/// the float part is always sum = fma(d_x·d_w, isum, sum) (then, for Q4_K, sum = fma(−(d_x·dmin), msum, sum)), so
/// the SIMD paths and the scalar path agree bit for bit, whatever the batch size or thread count.
/// </summary>
internal static unsafe class KQuantKernels
{
    public static void Rows<TD>(DType type, byte* w, long rowBytes, int rows, ActivationBlocks a, float* y, int ldy) where TD : IInt8Dot
    {
        int nb = a.BlocksPerToken;
        float* out4 = stackalloc float[4];
        for (int r = 0; r < rows; r++)
        {
            byte* wr = w + r * rowBytes;
            int t = 0;
            // Prefill: each weight block is unpacked once for 4 tokens.
            for (; t + 4 <= a.Tokens; t += 4)
            {
                if (type == DType.Q4_K) Q4K4<TD>(wr, nb, a, t, out4);
                else Q6K4<TD>(wr, nb, a, t, out4);
                for (int j = 0; j < 4; j++) y[(long)(t + j) * ldy + r] = out4[j];
            }
            for (; t < a.Tokens; t++)
                y[(long)t * ldy + r] = type == DType.Q4_K
                    ? Q4K<TD>(wr, nb, a.Q(t), a.D(t), a.Sums(t))
                    : Q6K<TD>(wr, nb, a.Q(t), a.D(t), a.Sums(t));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q4K4<TD>(byte* w, int nb, ActivationBlocks a, int t, float* y) where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        sbyte* x0 = a.Q(t), x1 = a.Q(t + 1), x2 = a.Q(t + 2), x3 = a.Q(t + 3);
        int* mins = stackalloc int[8];
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144, packed = blk + 4, qs = blk + 16;
            int xo = b * 256;
            Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, c2 = c0, c3 = c0;
            for (int c = 0; c < 4; c++)
            {
                KQuantScales.ScaleMin(packed, 2 * c, out byte sa, out byte ma);
                KQuantScales.ScaleMin(packed, 2 * c + 1, out byte sb, out byte mb);
                mins[2 * c] = ma;
                mins[2 * c + 1] = mb;
                Vector256<byte> q = Vector256.Load(qs + 32 * c);
                Vector256<byte> lo = q & mask, hi = Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask;
                Vector256<short> va = Vector256.Create((short)sa), vb = Vector256.Create((short)sb);
                int o = xo + 64 * c;
                c0 = TD.DotScaled(TD.DotScaled(c0, Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x0 + o)), va), Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x0 + o + 32)), vb);
                c1 = TD.DotScaled(TD.DotScaled(c1, Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x1 + o)), va), Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x1 + o + 32)), vb);
                c2 = TD.DotScaled(TD.DotScaled(c2, Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x2 + o)), va), Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x2 + o + 32)), vb);
                c3 = TD.DotScaled(TD.DotScaled(c3, Avx2.MultiplyAddAdjacent(lo, Vector256.Load(x3 + o)), va), Avx2.MultiplyAddAdjacent(hi, Vector256.Load(x3 + o + 32)), vb);
            }
            float dw = HalfTable.Read(half, blk), dmin = HalfTable.Read(half, blk + 2);
            s0 = Q4KFinish(s0, Sum(c0), mins, a.Sums(t) + b * 16, a.D(t)[b], dw, dmin);
            s1 = Q4KFinish(s1, Sum(c1), mins, a.Sums(t + 1) + b * 16, a.D(t + 1)[b], dw, dmin);
            s2 = Q4KFinish(s2, Sum(c2), mins, a.Sums(t + 2) + b * 16, a.D(t + 2)[b], dw, dmin);
            s3 = Q4KFinish(s3, Sum(c3), mins, a.Sums(t + 3) + b * 16, a.D(t + 3)[b], dw, dmin);
        }
        y[0] = s0;
        y[1] = s1;
        y[2] = s2;
        y[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q4KFinish(float sum, int isum, int* mins, int* bs, float dx, float dw, float dmin)
    {
        int msum = 0;
        for (int j = 0; j < 8; j++) msum += mins[j] * (bs[2 * j] + bs[2 * j + 1]);
        sum = MathF.FusedMultiplyAdd(dx * dw, isum, sum);
        return MathF.FusedMultiplyAdd(-(dx * dmin), msum, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Q6K4<TD>(byte* w, int nb, ActivationBlocks a, int t, float* y) where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        Vector256<byte> low4 = Vector256.Create((byte)0x0F), low2 = Vector256.Create((byte)0x03);
        sbyte* x0 = a.Q(t), x1 = a.Q(t + 1), x2 = a.Q(t + 2), x3 = a.Q(t + 3);
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 210;
            sbyte* sc = (sbyte*)(blk + 192);
            Vector256<int> c0 = Vector256<int>.Zero, c1 = c0, c2 = c0, c3 = c0;
            for (int h = 0; h < 2; h++)
            {
                byte* ql = blk + 64 * h;
                Vector256<byte> l0 = Vector256.Load(ql), l1 = Vector256.Load(ql + 32), hb = Vector256.Load(blk + 128 + 32 * h);
                Vector256<ushort> hw = hb.AsUInt16();
                sbyte* sh = sc + 8 * h;
                int o = b * 256 + 128 * h;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    Vector256<byte> low = quarter switch { 0 => l0 & low4, 1 => l1 & low4, 2 => (l0.AsUInt16() >> 4).AsByte() & low4, _ => (l1.AsUInt16() >> 4).AsByte() & low4 };
                    Vector256<byte> q = low | (((hw >> (2 * quarter)).AsByte() & low2).AsUInt16() << 4).AsByte();
                    Vector256<short> scales = Scales(sh[2 * quarter], sh[2 * quarter + 1]);
                    int xo = o + 32 * quarter;
                    c0 = TD.DotScaled(c0, Avx2.MultiplyAddAdjacent(q, Vector256.Load(x0 + xo)), scales);
                    c1 = TD.DotScaled(c1, Avx2.MultiplyAddAdjacent(q, Vector256.Load(x1 + xo)), scales);
                    c2 = TD.DotScaled(c2, Avx2.MultiplyAddAdjacent(q, Vector256.Load(x2 + xo)), scales);
                    c3 = TD.DotScaled(c3, Avx2.MultiplyAddAdjacent(q, Vector256.Load(x3 + xo)), scales);
                }
            }
            float dw = HalfTable.Read(half, blk + 208);
            s0 = Q6KFinish(s0, Sum(c0), sc, a.Sums(t) + b * 16, a.D(t)[b], dw);
            s1 = Q6KFinish(s1, Sum(c1), sc, a.Sums(t + 1) + b * 16, a.D(t + 1)[b], dw);
            s2 = Q6KFinish(s2, Sum(c2), sc, a.Sums(t + 2) + b * 16, a.D(t + 2)[b], dw);
            s3 = Q6KFinish(s3, Sum(c3), sc, a.Sums(t + 3) + b * 16, a.D(t + 3)[b], dw);
        }
        y[0] = s0;
        y[1] = s1;
        y[2] = s2;
        y[3] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q6KFinish(float sum, int isum, sbyte* sc, int* bs, float dx, float dw)
    {
        int msum = 0;
        for (int j = 0; j < 16; j++) msum += sc[j] * bs[j];
        return MathF.FusedMultiplyAdd(dx * dw, isum - 32 * msum, sum);
    }

    public static void RowsScalar(DType type, byte* w, long rowBytes, int rows, ActivationBlocks a, float* y, int ldy)
    {
        int nb = a.BlocksPerToken;
        for (int r = 0; r < rows; r++)
        {
            byte* wr = w + r * rowBytes;
            for (int t = 0; t < a.Tokens; t++)
                y[(long)t * ldy + r] = type == DType.Q4_K
                    ? Q4KScalar(wr, nb, a.Q(t), a.D(t), a.Sums(t))
                    : Q6KScalar(wr, nb, a.Q(t), a.D(t), a.Sums(t));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Sum(Vector256<int> v)
    {
        Vector128<int> h = v.GetLower() + v.GetUpper();
        return h.GetElement(0) + h.GetElement(1) + h.GetElement(2) + h.GetElement(3);
    }

    // Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins for 8 sub-blocks of 32, qs[128]: each 32 bytes hold
    // sub-block 2c in the low nibbles and 2c+1 in the high. value = d·sc·q − dmin·m.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q4K<TD>(byte* w, int nb, sbyte* xq, float* xd, int* xs) where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        float sum = 0;
        Vector256<byte> mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144, packed = blk + 4, qs = blk + 16;
            sbyte* x = xq + b * 256;
            int* bs = xs + b * 16;
            Vector256<int> acc = Vector256<int>.Zero;
            int msum = 0;
            for (int c = 0; c < 4; c++)
            {
                KQuantScales.ScaleMin(packed, 2 * c, out byte s0, out byte m0);
                KQuantScales.ScaleMin(packed, 2 * c + 1, out byte s1, out byte m1);
                Vector256<byte> q = Vector256.Load(qs + 32 * c);
                Vector256<short> p0 = Avx2.MultiplyAddAdjacent(q & mask, Vector256.Load(x + 64 * c));
                Vector256<short> p1 = Avx2.MultiplyAddAdjacent(Vector256.ShiftRightLogical(q.AsUInt16(), 4).AsByte() & mask, Vector256.Load(x + 64 * c + 32));
                acc = TD.DotScaled(acc, p0, Vector256.Create((short)s0));
                acc = TD.DotScaled(acc, p1, Vector256.Create((short)s1));
                msum += m0 * (bs[4 * c] + bs[4 * c + 1]) + m1 * (bs[4 * c + 2] + bs[4 * c + 3]);
            }
            float dx = xd[b];
            sum = MathF.FusedMultiplyAdd(dx * HalfTable.Read(half, blk), Sum(acc), sum);
            sum = MathF.FusedMultiplyAdd(-(dx * HalfTable.Read(half, blk + 2)), msum, sum);
        }
        return sum;
    }

    private static float Q4KScalar(byte* w, int nb, sbyte* xq, float* xd, int* xs)
    {
        float* half = HalfTable.Values;
        float sum = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 144, packed = blk + 4, qs = blk + 16;
            sbyte* x = xq + b * 256;
            int* bs = xs + b * 16;
            int isum = 0, msum = 0;
            for (int j = 0; j < 8; j++)
            {
                KQuantScales.ScaleMin(packed, j, out byte sc, out byte m);
                byte* q = qs + 32 * (j / 2);
                int shift = 4 * (j % 2), s = 0;
                for (int i = 0; i < 32; i++) s += ((q[i] >> shift) & 0xF) * x[32 * j + i];
                isum += sc * s;
                msum += m * (bs[2 * j] + bs[2 * j + 1]);
            }
            float dx = xd[b];
            sum = MathF.FusedMultiplyAdd(dx * HalfTable.Read(half, blk), isum, sum);
            sum = MathF.FusedMultiplyAdd(-(dx * HalfTable.Read(half, blk + 2)), msum, sum);
        }
        return sum;
    }

    // Q6_K: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16] for sub-blocks of 16, fp16 d; value =
    // d·sc·(q − 32). Each half of 128 values takes 64 bytes of ql and 32 of qh: value l of the four quarters is
    // ql[l] low, ql[l+32] low, ql[l] high, ql[l+32] high, with qh[l] bits 0-1, 2-3, 4-5, 6-7 on top.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q6K<TD>(byte* w, int nb, sbyte* xq, float* xd, int* xs) where TD : IInt8Dot
    {
        float* half = HalfTable.Values;
        float sum = 0;
        Vector256<byte> low4 = Vector256.Create((byte)0x0F), low2 = Vector256.Create((byte)0x03);
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 210;
            sbyte* sc = (sbyte*)(blk + 192);
            sbyte* x = xq + b * 256;
            int* bs = xs + b * 16;
            Vector256<int> acc = Vector256<int>.Zero;
            for (int h = 0; h < 2; h++)
            {
                byte* ql = blk + 64 * h;
                Vector256<byte> l0 = Vector256.Load(ql), l1 = Vector256.Load(ql + 32), hb = Vector256.Load(blk + 128 + 32 * h);
                Vector256<ushort> hw = hb.AsUInt16();
                Vector256<byte> q1 = (l0 & low4) | ((hb & low2).AsUInt16() << 4).AsByte();
                Vector256<byte> q2 = (l1 & low4) | (((hw >> 2).AsByte() & low2).AsUInt16() << 4).AsByte();
                Vector256<byte> q3 = ((l0.AsUInt16() >> 4).AsByte() & low4) | (((hw >> 4).AsByte() & low2).AsUInt16() << 4).AsByte();
                Vector256<byte> q4 = ((l1.AsUInt16() >> 4).AsByte() & low4) | (((hw >> 6).AsByte() & low2).AsUInt16() << 4).AsByte();
                sbyte* xh = x + 128 * h, sh = sc + 8 * h;
                acc = TD.DotScaled(acc, Avx2.MultiplyAddAdjacent(q1, Vector256.Load(xh)), Scales(sh[0], sh[1]));
                acc = TD.DotScaled(acc, Avx2.MultiplyAddAdjacent(q2, Vector256.Load(xh + 32)), Scales(sh[2], sh[3]));
                acc = TD.DotScaled(acc, Avx2.MultiplyAddAdjacent(q3, Vector256.Load(xh + 64)), Scales(sh[4], sh[5]));
                acc = TD.DotScaled(acc, Avx2.MultiplyAddAdjacent(q4, Vector256.Load(xh + 96)), Scales(sh[6], sh[7]));
            }
            int msum = 0;
            for (int j = 0; j < 16; j++) msum += sc[j] * bs[j];
            sum = MathF.FusedMultiplyAdd(xd[b] * HalfTable.Read(half, blk + 208), Sum(acc) - 32 * msum, sum);
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Scales(sbyte first, sbyte second) => Vector256.Create(Vector128.Create((short)first), Vector128.Create((short)second));

    private static float Q6KScalar(byte* w, int nb, sbyte* xq, float* xd, int* xs)
    {
        float* half = HalfTable.Values;
        float sum = 0;
        for (int b = 0; b < nb; b++)
        {
            byte* blk = w + b * 210;
            sbyte* sc = (sbyte*)(blk + 192);
            sbyte* x = xq + b * 256;
            int* bs = xs + b * 16;
            int isum = 0, msum = 0;
            for (int h = 0; h < 2; h++)
            {
                byte* ql = blk + 64 * h, qh = blk + 128 + 32 * h;
                for (int quarter = 0; quarter < 4; quarter++)
                {
                    for (int half16 = 0; half16 < 2; half16++)
                    {
                        int s = 0;
                        for (int l = 16 * half16; l < 16 * half16 + 16; l++)
                        {
                            int lowByte = ql[l + 32 * (quarter & 1)];
                            int q = ((quarter < 2 ? lowByte & 0xF : lowByte >> 4) | (((qh[l] >> (2 * quarter)) & 3) << 4));
                            s += q * x[128 * h + 32 * quarter + l];
                        }
                        isum += sc[8 * h + 2 * quarter + half16] * s;
                    }
                }
            }
            for (int j = 0; j < 16; j++) msum += sc[j] * bs[j];
            sum = MathF.FusedMultiplyAdd(xd[b] * HalfTable.Read(half, blk + 208), isum - 32 * msum, sum);
        }
        return sum;
    }
}

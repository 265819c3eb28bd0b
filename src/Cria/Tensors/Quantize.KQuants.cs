namespace Cria.Tensors;

// Reference quantizers for the 256-element super-blocks (ggml's quantize_row_*_K_ref): fit each sub-block, quantize
// the sub-block scales against the largest one, then requantize the values with the scales as stored (fp16 and all),
// so the levels fit what a reader will reconstruct.
public static unsafe partial class Quantize
{
    private static void BlockQ2_K(float* x, byte* y)
    {
        const float levels = 15f;
        byte* scales = y;
        byte* qs = y + 16;
        byte* L = stackalloc byte[256];
        byte* Laux = stackalloc byte[16];
        float* weights = stackalloc float[16];
        float* subScales = stackalloc float[16];
        float* subMins = stackalloc float[16];

        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 16; j++)
        {
            for (int l = 0; l < 16; l++) weights[l] = MathF.Abs(x[16 * j + l]);
            subScales[j] = ScaleSearch.WithMin(16, 3, x + 16 * j, weights, L + 16 * j, out subMins[j], Laux, -0.5f, 0.1f, 15, true);
            if (subScales[j] > maxScale) maxScale = subScales[j];
            if (subMins[j] > maxMin) maxMin = subMins[j];
        }

        if (maxScale > 0f)
        {
            float iscale = levels / maxScale;
            for (int j = 0; j < 16; j++) scales[j] = (byte)ScaleSearch.NearestInt(iscale * subScales[j]);
            BlockBytes.WriteHalf(y + 80, maxScale / levels);
        }
        else
        {
            for (int j = 0; j < 16; j++) scales[j] = 0;
            BlockBytes.WriteHalf(y + 80, 0f);
        }
        if (maxMin > 0f)
        {
            float iscale = levels / maxMin;
            for (int j = 0; j < 16; j++) scales[j] |= (byte)(ScaleSearch.NearestInt(iscale * subMins[j]) << 4);
            BlockBytes.WriteHalf(y + 82, maxMin / levels);
        }
        else
        {
            BlockBytes.WriteHalf(y + 82, 0f);
        }

        float dStored = Dequantize.ReadHalf(y + 80);
        float minStored = Dequantize.ReadHalf(y + 82);
        for (int j = 0; j < 16; j++)
        {
            float d = dStored * (scales[j] & 0xF);
            if (d == 0f) continue;
            float dm = minStored * (scales[j] >> 4);
            for (int i = 0; i < 16; i++)
                L[16 * j + i] = (byte)Math.Clamp(ScaleSearch.NearestInt((x[16 * j + i] + dm) / d), 0, 3);
        }

        PackTwoBitPlanes(L, qs);
    }

    private static void BlockQ3_K(float* x, byte* y)
    {
        byte* hmask = y;
        byte* qs = y + 32;
        byte* scales = y + 96;
        sbyte* L = stackalloc sbyte[256];
        float* subScales = stackalloc float[16];

        float maxScale = 0f, amax = 0f;
        for (int j = 0; j < 16; j++)
        {
            subScales[j] = ScaleSearch.SymmetricRefined(16, 4, x + 16 * j, L + 16 * j);
            float a = MathF.Abs(subScales[j]);
            if (a > amax)
            {
                amax = a;
                maxScale = subScales[j];
            }
        }

        new Span<byte>(scales, 12).Clear();
        if (maxScale != 0f)
        {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++)
            {
                // ggml narrows to int8 before clamping; keep that so out-of-range values wrap the same way.
                sbyte l = (sbyte)ScaleSearch.NearestInt(iscale * subScales[j]);
                KQuantScales.PackQ3Scale(scales, j, Math.Clamp((int)l, -32, 31) + 32);
            }
            BlockBytes.WriteHalf(y + 108, 1 / iscale);
        }
        else
        {
            BlockBytes.WriteHalf(y + 108, 0f);
        }

        float dStored = Dequantize.ReadHalf(y + 108);
        for (int j = 0; j < 16; j++)
        {
            float d = dStored * (sbyte)(KQuantScales.Q3Scale(scales, j) - 32);
            if (d == 0f) continue;
            for (int i = 0; i < 16; i++)
                L[16 * j + i] = (sbyte)(Math.Clamp(ScaleSearch.NearestInt(x[16 * j + i] / d), -4, 3) + 4);
        }

        // Bit b of hmask[m] is the high bit of element 32 * b + m; the low two bits go to the 2-bit planes.
        new Span<byte>(hmask, 32).Clear();
        byte* low = stackalloc byte[256];
        for (int j = 0; j < 256; j++)
        {
            int l = L[j];
            if (l > 3)
            {
                hmask[j % 32] |= (byte)(1 << (j / 32));
                l -= 4;
            }
            low[j] = (byte)l;
        }
        PackTwoBitPlanes(low, qs);
    }

    private static void BlockQ4_K(float* x, byte* y) => FourOrFiveBitK(x, y, 15);

    private static void BlockQ5_K(float* x, byte* y) => FourOrFiveBitK(x, y, 31);

    /// <summary>Q4_K and Q5_K share the fit and the scale packing; they differ in level count, search range and bit layout.</summary>
    private static void FourOrFiveBitK(float* x, byte* y, int nmax)
    {
        bool five = nmax == 31;
        byte* scales = y + 4;
        byte* L = stackalloc byte[256];
        byte* Laux = stackalloc byte[32];
        float* weights = stackalloc float[32];
        float* subScales = stackalloc float[8];
        float* subMins = stackalloc float[8];

        float maxScale = 0f, maxMin = 0f;
        for (int j = 0; j < 8; j++)
        {
            float* xs = x + 32 * j;
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) sumX2 += xs[l] * xs[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xs[l]);
            subScales[j] = five
                ? ScaleSearch.WithMin(32, nmax, xs, weights, L + 32 * j, out subMins[j], Laux, -0.5f, 0.1f, 15, false)
                : ScaleSearch.WithMin(32, nmax, xs, weights, L + 32 * j, out subMins[j], Laux, -1f, 0.1f, 20, false);
            if (subScales[j] > maxScale) maxScale = subScales[j];
            if (subMins[j] > maxMin) maxMin = subMins[j];
        }

        float invScale = maxScale > 0f ? 63f / maxScale : 0f;
        float invMin = maxMin > 0f ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++)
        {
            byte ls = Math.Min((byte)63, (byte)ScaleSearch.NearestInt(invScale * subScales[j]));
            byte lm = Math.Min((byte)63, (byte)ScaleSearch.NearestInt(invMin * subMins[j]));
            KQuantScales.PackScaleMin(scales, j, ls, lm);
        }
        BlockBytes.WriteHalf(y, maxScale / 63f);
        BlockBytes.WriteHalf(y + 2, maxMin / 63f);

        float dStored = Dequantize.ReadHalf(y);
        float minStored = Dequantize.ReadHalf(y + 2);
        for (int j = 0; j < 8; j++)
        {
            KQuantScales.ScaleMin(scales, j, out byte sc, out byte m);
            float d = dStored * sc;
            if (d == 0f) continue;
            float dm = minStored * m;
            for (int i = 0; i < 32; i++)
                L[32 * j + i] = (byte)Math.Clamp(ScaleSearch.NearestInt((x[32 * j + i] + dm) / d), 0, nmax);
        }

        if (!five)
        {
            // Each 32-byte run holds two 32-element sub-blocks: the first in the low nibbles, the second in the high.
            byte* q = y + 16;
            for (int j = 0; j < 256; j += 64, q += 32)
                for (int l = 0; l < 32; l++) q[l] = (byte)(L[j + l] | (L[j + l + 32] << 4));
            return;
        }

        byte* qh = y + 16;
        byte* ql = y + 48;
        new Span<byte>(qh, 32).Clear();
        int bit = 0;
        for (int j = 0; j < 256; j += 64, ql += 32, bit += 2)
        {
            for (int l = 0; l < 32; l++)
            {
                int l1 = L[j + l], l2 = L[j + l + 32];
                qh[l] |= (byte)(((l1 >> 4) << bit) | ((l2 >> 4) << (bit + 1)));
                ql[l] = (byte)((l1 & 0xF) | ((l2 & 0xF) << 4));
            }
        }
    }

    private static void BlockQ6_K(float* x, byte* y)
    {
        byte* ql = y;
        byte* qh = y + 128;
        sbyte* scales = (sbyte*)(y + 192);
        sbyte* L = stackalloc sbyte[256];
        float* subScales = stackalloc float[16];

        float maxScale = 0f, maxAbsScale = 0f;
        for (int j = 0; j < 16; j++)
        {
            subScales[j] = ScaleSearch.Symmetric(16, 32, x + 16 * j, L + 16 * j);
            float a = MathF.Abs(subScales[j]);
            if (a > maxAbsScale)
            {
                maxAbsScale = a;
                maxScale = subScales[j];
            }
        }

        if (maxAbsScale < ScaleSearch.GroupMaxEps)
        {
            new Span<byte>(y, DType.Q6_K.BlockBytes()).Clear();
            return;
        }

        float iscale = -128f / maxScale;
        BlockBytes.WriteHalf(y + 208, 1 / iscale);
        for (int j = 0; j < 16; j++) scales[j] = (sbyte)Math.Min(127, ScaleSearch.NearestInt(iscale * subScales[j]));

        float dStored = Dequantize.ReadHalf(y + 208);
        for (int j = 0; j < 16; j++)
        {
            float d = dStored * scales[j];
            if (d == 0f) continue;
            for (int i = 0; i < 16; i++)
                L[16 * j + i] = (sbyte)(Math.Clamp(ScaleSearch.NearestInt(x[16 * j + i] / d), -32, 31) + 32);
        }

        // Per 128 elements: ql holds low nibbles of elements 0..31 | 64..95 << 4 and 32..63 | 96..127 << 4;
        // qh holds the top two bits of the four 32-element quarters at bit offsets 0, 2, 4, 6.
        for (int j = 0; j < 256; j += 128, ql += 64, qh += 32)
        {
            for (int l = 0; l < 32; l++)
            {
                int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
            }
        }
    }

    /// <summary>Q2_K / Q3_K low bits: per 128 elements, byte l holds elements l, l+32, l+64, l+96 at bit offsets 0, 2, 4, 6.</summary>
    private static void PackTwoBitPlanes(byte* levels, byte* qs)
    {
        for (int j = 0; j < 256; j += 128)
            for (int l = 0; l < 32; l++)
                qs[j / 4 + l] = (byte)(levels[j + l] | (levels[j + l + 32] << 2) | (levels[j + l + 64] << 4) | (levels[j + l + 96] << 6));
    }
}

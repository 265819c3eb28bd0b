namespace Cria.Tensors;

// Super-blocks of 256 split into sub-blocks with their own quantized scales. Operand order follows ggml's
// dequantize_row_* (scale products formed first, then applied) so results match it bit for bit.
public static unsafe partial class Dequantize
{
    // scales[16] (4-bit scale | 4-bit min << 4), qs[64] (2 bits), d, dmin
    private static void BlockQ2_K(byte* x, float* y)
    {
        float d = ReadHalf(x + 80);
        float min = ReadHalf(x + 82);
        byte* scales = x;
        byte* q = x + 16;
        int s = 0;
        for (int half = 0; half < 2; half++, q += 32)
        {
            // Each 32-byte run of qs holds four 32-element groups, one per bit pair; each group has two 16-element sub-blocks.
            for (int shift = 0; shift < 8; shift += 2)
            {
                for (int part = 0; part < 32; part += 16)
                {
                    byte sc = scales[s++];
                    float dl = d * (sc & 0xF);
                    float ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) *y++ = dl * ((q[part + l] >> shift) & 3) - ml;
                }
            }
        }
    }

    // hmask[32] (third bit), qs[64] (low 2 bits), scales[12] (16 x 6 bits, offset 32), d
    private static void BlockQ3_K(byte* x, float* y)
    {
        float dAll = ReadHalf(x + 108);
        byte* hmask = x;
        byte* q = x + 32;
        byte* scales = x + 96;
        int s = 0;
        int bit = 1;
        for (int half = 0; half < 2; half++, q += 32)
        {
            for (int shift = 0; shift < 8; shift += 2, bit <<= 1)
            {
                for (int part = 0; part < 32; part += 16)
                {
                    float dl = dAll * (KQuantScales.Q3Scale(scales, s++) - 32);
                    for (int l = 0; l < 16; l++)
                    {
                        // A clear high bit means the value is 4 lower, i.e. the 3-bit quant is stored offset by 4.
                        int v = ((q[part + l] >> shift) & 3) - ((hmask[part + l] & bit) != 0 ? 0 : 4);
                        *y++ = dl * v;
                    }
                }
            }
        }
    }

    // d, dmin, scales[12] (8 x 6-bit scale and min), qs[128]
    private static void BlockQ4_K(byte* x, float* y)
    {
        float d = ReadHalf(x);
        float min = ReadHalf(x + 2);
        byte* scales = x + 4;
        byte* q = x + 16;
        for (int s = 0; s < 8; s += 2, q += 32)
        {
            KQuantScales.ScaleMin(scales, s, out byte sc, out byte m);
            float d1 = d * sc, m1 = min * m;
            KQuantScales.ScaleMin(scales, s + 1, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }

    // d, dmin, scales[12], qh[32] (fifth bits), qs[128]
    private static void BlockQ5_K(byte* x, float* y)
    {
        float d = ReadHalf(x);
        float min = ReadHalf(x + 2);
        byte* scales = x + 4;
        byte* qh = x + 16;
        byte* ql = x + 48;
        int u1 = 1, u2 = 2;
        for (int s = 0; s < 8; s += 2, ql += 32, u1 <<= 2, u2 <<= 2)
        {
            KQuantScales.ScaleMin(scales, s, out byte sc, out byte m);
            float d1 = d * sc, m1 = min * m;
            KQuantScales.ScaleMin(scales, s + 1, out sc, out m);
            float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * ((ql[l] & 0xF) + ((qh[l] & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * ((ql[l] >> 4) + ((qh[l] & u2) != 0 ? 16 : 0)) - m2;
        }
    }

    // ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], d
    private static void BlockQ6_K(byte* x, float* y)
    {
        float d = ReadHalf(x + 208);
        byte* ql = x;
        byte* qh = x + 128;
        sbyte* sc = (sbyte*)(x + 192);
        for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8)
        {
            for (int l = 0; l < 32; l++)
            {
                int s = l / 16;
                int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * sc[s] * q1;
                y[l + 32] = d * sc[s + 2] * q2;
                y[l + 64] = d * sc[s + 4] * q3;
                y[l + 96] = d * sc[s + 6] * q4;
            }
        }
    }
}

namespace Cria.Tensors;

// Blocks of 32 with one fp16 scale (and for the _1 types an fp16 offset). Each expression keeps ggml's
// dequantize_row_* operand order so the float results match it bit for bit.
public static unsafe partial class Dequantize
{
    // d, int8 qs[32]
    private static void BlockQ8_0(byte* x, float* y)
    {
        float d = ReadHalf(x);
        sbyte* qs = (sbyte*)(x + 2);
        for (int j = 0; j < 32; j++) y[j] = qs[j] * d;
    }

    // d, qs[16]: low nibbles are elements 0..15, high nibbles 16..31
    private static void BlockQ4_0(byte* x, float* y)
    {
        float d = ReadHalf(x);
        byte* qs = x + 2;
        for (int j = 0; j < 16; j++)
        {
            y[j] = ((qs[j] & 0xF) - 8) * d;
            y[j + 16] = ((qs[j] >> 4) - 8) * d;
        }
    }

    // d, m, qs[16]
    private static void BlockQ4_1(byte* x, float* y)
    {
        float d = ReadHalf(x);
        float m = ReadHalf(x + 2);
        byte* qs = x + 4;
        for (int j = 0; j < 16; j++)
        {
            y[j] = (qs[j] & 0xF) * d + m;
            y[j + 16] = (qs[j] >> 4) * d + m;
        }
    }

    // d, qh (32 fifth bits, little-endian u32), qs[16]
    private static void BlockQ5_0(byte* x, float* y)
    {
        float d = ReadHalf(x);
        uint qh = BlockBytes.ReadUInt32(x + 2);
        byte* qs = x + 6;
        for (int j = 0; j < 16; j++)
        {
            int q0 = ((qs[j] & 0xF) | (int)(((qh >> j) << 4) & 0x10)) - 16;
            int q1 = ((qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10)) - 16;
            y[j] = q0 * d;
            y[j + 16] = q1 * d;
        }
    }

    // d, m, qh, qs[16]
    private static void BlockQ5_1(byte* x, float* y)
    {
        float d = ReadHalf(x);
        float m = ReadHalf(x + 2);
        uint qh = BlockBytes.ReadUInt32(x + 4);
        byte* qs = x + 8;
        for (int j = 0; j < 16; j++)
        {
            int q0 = (qs[j] & 0xF) | (int)(((qh >> j) << 4) & 0x10);
            int q1 = (qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
            y[j] = q0 * d + m;
            y[j + 16] = q1 * d + m;
        }
    }
}

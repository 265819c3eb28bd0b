namespace Cria.Tensors;

// Reference quantizers for the blocks of 32. Scales are computed from the unrounded float and only the stored
// copy is fp16, as ggml does; truncating casts and the +0.5 / +8.5 offsets are ggml's rounding.
public static unsafe partial class Quantize
{
    private static void BlockQ8_0(float* x, byte* y)
    {
        float amax = 0f;
        for (int j = 0; j < 32; j++)
        {
            float a = MathF.Abs(x[j]);
            if (a > amax) amax = a;
        }
        float d = amax / 127;
        float id = d != 0f ? 1f / d : 0f;
        BlockBytes.WriteHalf(y, d);
        sbyte* qs = (sbyte*)(y + 2);
        for (int j = 0; j < 32; j++) qs[j] = (sbyte)MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
    }

    private static void BlockQ4_0(float* x, byte* y)
    {
        float max = SignedAbsMax(x, 32);
        // Mapping the extreme value to -8 uses the one extra negative level of the signed nibble.
        float d = max / -8;
        float id = d != 0f ? 1f / d : 0f;
        BlockBytes.WriteHalf(y, d);
        byte* qs = y + 2;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)(x[j] * id + 8.5f));
            int q1 = Math.Min(15, (int)(x[j + 16] * id + 8.5f));
            qs[j] = (byte)(q0 | (q1 << 4));
        }
    }

    private static void BlockQ4_1(float* x, byte* y)
    {
        MinMax(x, 32, out float min, out float max);
        float d = (max - min) / 15;
        float id = d != 0f ? 1f / d : 0f;
        BlockBytes.WriteHalf(y, d);
        BlockBytes.WriteHalf(y + 2, min);
        byte* qs = y + 4;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(15, (int)((x[j] - min) * id + 0.5f));
            int q1 = Math.Min(15, (int)((x[j + 16] - min) * id + 0.5f));
            qs[j] = (byte)(q0 | (q1 << 4));
        }
    }

    private static void BlockQ5_0(float* x, byte* y)
    {
        float max = SignedAbsMax(x, 32);
        float d = max / -16;
        float id = d != 0f ? 1f / d : 0f;
        BlockBytes.WriteHalf(y, d);
        uint qh = 0;
        byte* qs = y + 6;
        for (int j = 0; j < 16; j++)
        {
            int q0 = Math.Min(31, (int)(x[j] * id + 16.5f));
            int q1 = Math.Min(31, (int)(x[j + 16] * id + 16.5f));
            qs[j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= (uint)((q0 >> 4) & 1) << j;
            qh |= (uint)((q1 >> 4) & 1) << (j + 16);
        }
        BlockBytes.WriteUInt32(y + 2, qh);
    }

    private static void BlockQ5_1(float* x, byte* y)
    {
        MinMax(x, 32, out float min, out float max);
        float d = (max - min) / 31;
        float id = d != 0f ? 1f / d : 0f;
        BlockBytes.WriteHalf(y, d);
        BlockBytes.WriteHalf(y + 2, min);
        uint qh = 0;
        byte* qs = y + 8;
        for (int j = 0; j < 16; j++)
        {
            // No clamp here, as in ggml: only the low five bits are stored.
            int q0 = (int)((x[j] - min) * id + 0.5f);
            int q1 = (int)((x[j + 16] - min) * id + 0.5f);
            qs[j] = (byte)((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= (uint)((q0 >> 4) & 1) << j;
            qh |= (uint)((q1 >> 4) & 1) << (j + 16);
        }
        BlockBytes.WriteUInt32(y + 4, qh);
    }

    /// <summary>The element of largest magnitude, with its sign; the first one wins ties.</summary>
    private static float SignedAbsMax(float* x, int n)
    {
        float amax = 0f, max = 0f;
        for (int j = 0; j < n; j++)
        {
            if (amax < MathF.Abs(x[j]))
            {
                amax = MathF.Abs(x[j]);
                max = x[j];
            }
        }
        return max;
    }

    private static void MinMax(float* x, int n, out float min, out float max)
    {
        min = float.MaxValue;
        max = -float.MaxValue;
        for (int j = 0; j < n; j++)
        {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
    }
}

namespace Cria.Tensors;

/// <summary>Packing of the 6-bit sub-block scales that K-quant super-blocks keep in 12 bytes.</summary>
internal static unsafe class KQuantScales
{
    /// <summary>Q4_K / Q5_K: scale and min of sub-block <paramref name="j"/> (0..7).</summary>
    public static void ScaleMin(byte* packed, int j, out byte scale, out byte min)
    {
        if (j < 4)
        {
            scale = (byte)(packed[j] & 63);
            min = (byte)(packed[j + 4] & 63);
        }
        else
        {
            // The low 4 bits live in bytes 8..11; the top 2 bits ride in the spare high bits of bytes 0..7.
            scale = (byte)((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4));
            min = (byte)((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4));
        }
    }

    /// <summary>Inverse of <see cref="ScaleMin"/>; scale and min must be below 64. Writes all 12 bytes over the course of j = 0..7.</summary>
    public static void PackScaleMin(byte* packed, int j, byte scale, byte min)
    {
        if (j < 4)
        {
            packed[j] = scale;
            packed[j + 4] = min;
        }
        else
        {
            packed[j + 4] = (byte)((scale & 0xF) | ((min & 0xF) << 4));
            packed[j - 4] |= (byte)((scale >> 4) << 6);
            packed[j] |= (byte)((min >> 4) << 6);
        }
    }

    /// <summary>Q3_K: the unsigned 6-bit scale of sub-block <paramref name="j"/> (0..15), before the -32 offset.</summary>
    public static int Q3Scale(byte* packed, int j)
    {
        int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
        int high = (packed[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
        return low | (high << 4);
    }

    /// <summary>Inverse of <see cref="Q3Scale"/>; <paramref name="packed"/> must start zeroed.</summary>
    public static void PackQ3Scale(byte* packed, int j, int scale)
    {
        if (j < 8) packed[j] = (byte)(scale & 0xF);
        else packed[j - 8] |= (byte)((scale & 0xF) << 4);
        packed[8 + (j & 3)] |= (byte)((scale >> 4) << (2 * (j >> 2)));
    }
}

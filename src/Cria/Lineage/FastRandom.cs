namespace Cria.Lineage;

/// <summary>
/// Seeded uniform noise with a given standard deviation, for the null's random initializations. The null only
/// depends on the weights' second moments (its statistics are correlations of sums of many products), so a uniform
/// of matched variance stands in for the Gaussian init at a fraction of the cost: a 1.1B-shaped random layer needs
/// tens of millions of values.
/// </summary>
internal static class FastRandom
{
    public static void Fill(Span<float> dst, float std, ulong seed)
    {
        ulong s = seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL;
        float scale = std * MathF.Sqrt(3f) / (1 << 23);
        for (int i = 0; i < dst.Length; i++)
        {
            // SplitMix64: two 24-bit uniforms per 64-bit draw.
            ulong z = s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            dst[i] = ((int)(z & 0xFFFFFF) - (1 << 23) + 0.5f) * scale;
            if (++i < dst.Length) dst[i] = ((int)((z >> 32) & 0xFFFFFF) - (1 << 23) + 0.5f) * scale;
        }
    }
}

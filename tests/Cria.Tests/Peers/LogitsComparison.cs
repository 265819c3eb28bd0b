namespace Cria.Tests.Peers;

internal static class LogitsComparison
{
    /// <summary>The first index of the largest value, the tie rule of llama.cpp's and Cria's greedy samplers.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Largest |a - b| in each row of <paramref name="width"/> values.</summary>
    public static double[] MaxAbsDiffPerRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} and {b.Length}");
        double[] rows = new double[a.Length / width];
        for (int i = 0; i < a.Length; i++) rows[i / width] = Math.Max(rows[i / width], Math.Abs((double)a[i] - b[i]));
        return rows;
    }
}

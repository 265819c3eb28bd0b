namespace Cria.Lineage;

/// <summary>
/// Matches the layers of the shallower model to layers of the deeper one, in order, maximizing the summed
/// similarity (a dynamic program over the layer similarity matrix). Equal depths give the diagonal, so only models
/// of different depth involve a search, and the null distributions run the same search.
/// </summary>
public static class LayerAlignment
{
    /// <summary>Pairs (layer of A, layer of B), one for each layer of the shallower model.</summary>
    public static (int A, int B)[] Best(double[,] s)
    {
        int la = s.GetLength(0), lb = s.GetLength(1);
        if (la > lb) return Best(Transpose(s)).Select(p => (p.B, p.A)).ToArray();
        // f[i, j]: best sum matching the first i layers of A into the first j layers of B.
        double[,] f = new double[la + 1, lb + 1];
        bool[,] took = new bool[la + 1, lb + 1];
        for (int i = 1; i <= la; i++) f[i, 0] = double.NegativeInfinity;
        for (int i = 1; i <= la; i++)
            for (int j = 1; j <= lb; j++)
            {
                double skip = f[i, j - 1], take = f[i - 1, j - 1] + s[i - 1, j - 1];
                took[i, j] = take >= skip;
                f[i, j] = Math.Max(take, skip);
            }
        var pairs = new (int, int)[la];
        for (int i = la, j = lb; i > 0; j--)
            if (took[i, j]) pairs[--i] = (i, j - 1);
        return pairs;
    }

    /// <summary>Mean similarity over the best alignment.</summary>
    public static double AlignedMean(double[,] s)
    {
        var pairs = Best(s);
        return pairs.Average(p => s[p.A, p.B]);
    }

    private static double[,] Transpose(double[,] s)
    {
        int r = s.GetLength(0), c = s.GetLength(1);
        double[,] t = new double[c, r];
        for (int i = 0; i < r; i++)
            for (int j = 0; j < c; j++) t[j, i] = s[i, j];
        return t;
    }
}

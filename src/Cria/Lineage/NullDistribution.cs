namespace Cria.Lineage;

/// <summary>Mean and spread of the score when the models are unrelated, and how it was obtained.</summary>
public sealed record NullDistribution(string Name, double Mean, double Std, int Draws)
{
    /// <summary>
    /// z of an observed score measured with standard error <paramref name="scoreSe"/>: the difference over the spread
    /// of the difference, √(null std² + se²), since both the null and the score are estimates.
    /// </summary>
    public double Z(double score, double scoreSe = 0)
    {
        double spread = Math.Sqrt(Std * Std + scoreSe * scoreSe);
        return spread > 0 ? (score - Mean) / spread : (score > Mean ? double.PositiveInfinity : 0);
    }

    /// <summary>
    /// The score: the weakest invariant term's mean similarity over the aligned layers. Inherited weights show up in
    /// every term of a block; structure learned from similar data tends to show up in some.
    /// </summary>
    public static double Score(IReadOnlyList<double[,]> perTerm, IReadOnlyList<(int A, int B)> alignment) =>
        perTerm.Min(s => alignment.Average(p => s[p.A, p.B]));

    /// <summary>
    /// Random-initialization null: per term, layer similarity matrices filled with similarities measured between
    /// real layers and seeded random-initialized layers, each aligned like the real one, then the weakest term.
    /// </summary>
    public static NullDistribution FromPools(IReadOnlyList<IReadOnlyList<double>> pools, int layersA, int layersB, int draws, int seed)
    {
        Training.NormalRandom rng = new((ulong)seed * 7919 + 3);
        double[] scores = new double[draws];
        double[,] s = new double[layersA, layersB];
        for (int d = 0; d < draws; d++)
        {
            double min = double.PositiveInfinity;
            foreach (IReadOnlyList<double> pool in pools)
            {
                for (int i = 0; i < layersA; i++)
                    for (int j = 0; j < layersB; j++) s[i, j] = pool[(int)rng.NextLong(pool.Count)];
                min = Math.Min(min, LayerAlignment.AlignedMean(s));
            }
            scores[d] = min;
        }
        return Summarize("random-init", scores);
    }

    /// <summary>
    /// Mismatched-layer null: B's layers shuffled so that no layer keeps its aligned partner, then aligned again. It
    /// measures how alike unrelated layers of this very pair are, so structure that independently trained models
    /// share (same data, same tokenizer) raises this null along with the score. Needs at least 3 layers each.
    /// </summary>
    public static NullDistribution? Mismatched(IReadOnlyList<double[,]> perTerm, IReadOnlyList<(int A, int B)> alignment, int draws, int seed)
    {
        int la = perTerm[0].GetLength(0), lb = perTerm[0].GetLength(1);
        if (Math.Min(la, lb) < 3) return null;
        Training.NormalRandom rng = new((ulong)seed * 104729 + 5);
        double[] scores = new double[draws];
        int[] perm = Enumerable.Range(0, lb).ToArray();
        double[,] shuffled = new double[la, lb];
        for (int d = 0; d < draws; d++)
        {
            for (int attempt = 0; ; attempt++)
            {
                for (int i = lb - 1; i > 0; i--)
                {
                    int j = (int)rng.NextLong(i + 1);
                    (perm[i], perm[j]) = (perm[j], perm[i]);
                }
                // Keep shuffles that move every aligned pair apart (derangements), so a derived pair's own matches do
                // not leak into its null; give up after a few tries on tiny matrices.
                if (attempt > 50 || !alignment.Any(p => perm[p.B] == p.B)) break;
            }
            double min = double.PositiveInfinity;
            foreach (double[,] s in perTerm)
            {
                for (int i = 0; i < la; i++)
                    for (int j = 0; j < lb; j++) shuffled[i, j] = s[i, perm[j]];
                min = Math.Min(min, LayerAlignment.AlignedMean(shuffled));
            }
            scores[d] = min;
        }
        return Summarize("mismatched-layer", scores);
    }

    private static NullDistribution Summarize(string name, double[] scores)
    {
        double mean = scores.Average();
        double var = scores.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, scores.Length - 1);
        return new NullDistribution(name, mean, Math.Sqrt(var), scores.Length);
    }
}

namespace Cria.Lineage;

/// <summary>
/// Standard error of the observed score from the probe tokens it was measured on: a delete-a-group jackknife over
/// the tokens. The tokens are split into <c>groups</c> seeded groups; for each group, every aligned layer pair's
/// per-term correlation is recomputed without the entries whose row or column token is in that group, and the score
/// (weakest term's aligned mean) is taken again. The spread of those leave-one-group-out scores says how much the
/// score depends on which tokens happened to be probes.
/// <para>
/// Why it matters: the random-init null's spread only measures chance agreement with noise (~0.001 on small models).
/// Two independently trained models share a little learned structure beyond the removed top directions, so their
/// score sits a few thousandths above that null; ignoring the score's own sampling error turns such a small but real
/// similarity into a large z. Derived pairs score 0.1–1, far outside the combined uncertainty, so they keep a large z.
/// </para>
/// <para>
/// Cheap: one pass over the already standardized off-diagonal vectors of the aligned pairs (no products are
/// recomputed), accumulating per pair of token groups the five sums a Pearson correlation needs.
/// </para>
/// </summary>
internal static class ScoreUncertainty
{
    public const int DefaultGroups = 8;

    /// <summary>Jackknife standard error of <see cref="NullDistribution.Score"/>; 0 with too few tokens to split.</summary>
    /// <param name="ta">A's standardized terms [layer][term] (off-diagonal entries of n×n, row-major).</param>
    /// <param name="tb">B's, the same layout.</param>
    public static double JackknifeSe(float[][][] ta, float[][][] tb, IReadOnlyList<(int A, int B)> alignment, int n, int groups, int seed)
    {
        if (alignment.Count == 0 || n < 2 * groups || groups < 2) return 0;
        int[] group = Groups(n, groups, seed);
        int nt = ta[0].Length;
        // perTerm[t][g]: sum over aligned pairs of term t's correlation without group g.
        double[,] sums = new double[nt, groups];
        foreach ((int a, int b) in alignment)
            for (int t = 0; t < nt; t++)
            {
                double[] leaveOut = LeaveOneGroupOut(ta[a][t], tb[b][t], n, group, groups);
                for (int g = 0; g < groups; g++) sums[t, g] += leaveOut[g];
            }
        double[] scores = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            double min = double.PositiveInfinity;
            for (int t = 0; t < nt; t++) min = Math.Min(min, sums[t, g] / alignment.Count);
            scores[g] = min;
        }
        double mean = scores.Average();
        double ss = scores.Sum(s => (s - mean) * (s - mean));
        return Math.Sqrt((groups - 1.0) / groups * ss);
    }

    /// <summary>Seeded assignment of tokens to equal-sized groups (a shuffle, so groups do not follow token order).</summary>
    internal static int[] Groups(int n, int groups, int seed)
    {
        int[] order = Enumerable.Range(0, n).ToArray();
        Training.NormalRandom rng = new((ulong)seed * 2_654_435_761UL + 11);
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.NextLong(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int[] group = new int[n];
        for (int p = 0; p < n; p++) group[order[p]] = p % groups;
        return group;
    }

    /// <summary>Pearson correlation of the off-diagonal entries of a and b, once per left-out token group.</summary>
    internal static double[] LeaveOneGroupOut(float[] a, float[] b, int n, int[] group, int groups)
    {
        // Sums per (row group, column group) block: Σa, Σb, Σab, Σa², Σb², count.
        double[,,] block = new double[groups, groups, 6];
        double[] rowSums = new double[6 * groups];
        long p = 0;
        for (int i = 0; i < n; i++)
        {
            Array.Clear(rowSums);
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double x = a[p], y = b[p];
                p++;
                int o = 6 * group[j];
                rowSums[o] += x;
                rowSums[o + 1] += y;
                rowSums[o + 2] += x * y;
                rowSums[o + 3] += x * x;
                rowSums[o + 4] += y * y;
                rowSums[o + 5] += 1;
            }
            int gi = group[i];
            for (int gj = 0; gj < groups; gj++)
                for (int k = 0; k < 6; k++) block[gi, gj, k] += rowSums[6 * gj + k];
        }
        double[] r = new double[groups];
        Span<double> s = stackalloc double[6];
        for (int g = 0; g < groups; g++)
        {
            s.Clear();
            for (int gi = 0; gi < groups; gi++)
                for (int gj = 0; gj < groups; gj++)
                    if (gi != g && gj != g)
                        for (int k = 0; k < 6; k++) s[k] += block[gi, gj, k];
            double cnt = s[5], cov = s[2] - s[0] * s[1] / cnt, va = s[3] - s[0] * s[0] / cnt, vb = s[4] - s[1] * s[1] / cnt;
            r[g] = va > 0 && vb > 0 ? cov / Math.Sqrt(va * vb) : 0;
        }
        return r;
    }
}

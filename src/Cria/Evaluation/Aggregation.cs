namespace Cria.Evaluation;

/// <summary>How per-sample values become a task's metric and its standard error.</summary>
public static class Aggregation
{
    /// <summary>Mean, and sample standard deviation (n − 1) over √n.</summary>
    public static MetricValue Mean(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return new MetricValue(double.NaN, double.NaN);
        double mean = xs.Average();
        if (xs.Count < 2) return new MetricValue(mean, double.NaN);
        double ss = xs.Sum(x => (x - mean) * (x - mean));
        return new MetricValue(mean, Math.Sqrt(ss / (xs.Count - 1)) / Math.Sqrt(xs.Count));
    }

    /// <summary>exp(−Σ loglikelihood / Σ weight): word or byte perplexity.</summary>
    public static double WeightedPerplexity(IReadOnlyList<(double Ll, double Weight)> items) =>
        Math.Exp(-items.Sum(i => i.Ll) / items.Sum(i => i.Weight));

    /// <summary>−Σ loglikelihood / Σ bytes / ln 2.</summary>
    public static double BitsPerByte(IReadOnlyList<(double Ll, double Weight)> items) =>
        -items.Sum(i => i.Ll) / items.Sum(i => i.Weight) / Math.Log(2);

    /// <summary>
    /// Bootstrap standard error of a corpus-level statistic: documents resampled with replacement
    /// <paramref name="iterations"/> times from a generator seeded by <paramref name="seed"/>.
    /// </summary>
    public static double BootstrapStdErr(IReadOnlyList<(double Ll, double Weight)> items, Func<IReadOnlyList<(double Ll, double Weight)>, double> statistic, int seed, int iterations = 1000)
    {
        if (items.Count < 2) return double.NaN;
        PythonRandom rng = new(seed);
        var resample = new (double, double)[items.Count];
        double[] stats = new double[iterations];
        for (int b = 0; b < iterations; b++)
        {
            for (int i = 0; i < resample.Length; i++) resample[i] = items[rng.RandBelow(items.Count)];
            stats[b] = statistic(resample);
        }
        double mean = stats.Average();
        return Math.Sqrt(stats.Sum(s => (s - mean) * (s - mean)) / (iterations - 1));
    }

    /// <summary>
    /// A group's metric from its members: (value, stderr, size) per member; size-weighted (pooled variance of the
    /// members' means) or unweighted (the v1 leaderboard's macro average).
    /// </summary>
    public static MetricValue Group(IReadOnlyList<(MetricValue Metric, int Size)> members, bool weightBySize)
    {
        if (members.Count == 0) return new MetricValue(double.NaN, double.NaN);
        if (!weightBySize)
        {
            double mean = members.Average(m => m.Metric.Value);
            double v = members.Sum(m => m.Metric.StdErr * m.Metric.StdErr);
            return new MetricValue(mean, Math.Sqrt(v) / members.Count);
        }
        double n = members.Sum(m => (double)m.Size);
        double value = members.Sum(m => m.Metric.Value * m.Size) / n;
        double var = members.Sum(m => (double)m.Size * m.Size * m.Metric.StdErr * m.Metric.StdErr);
        return new MetricValue(value, Math.Sqrt(var) / n);
    }
}

namespace Cria.Bench;

/// <summary>Mean and sample standard deviation of repeated rate measurements.</summary>
internal readonly record struct Summary(double Mean, double StdDev)
{
    public static Summary Of(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        double variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        return new Summary(mean, Math.Sqrt(variance));
    }

    public override string ToString() => Mean >= 100 ? $"{Mean:F1} ± {StdDev:F1}" : $"{Mean:F2} ± {StdDev:F2}";
}

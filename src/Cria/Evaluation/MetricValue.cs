namespace Cria.Evaluation;

/// <summary>An aggregated metric with its standard error (NaN when it cannot be estimated, as with one sample).</summary>
public readonly record struct MetricValue(double Value, double StdErr);

namespace Cria.Benchmarking;

/// <summary>
/// One llama-bench-style test: <c>ppN</c> feeds N prompt tokens in one batch into an empty cache; <c>tgN</c> feeds N
/// tokens one at a time from an empty cache. Rates are tokens per second, one per repetition.
/// </summary>
public sealed record ThroughputTest(string Name, int PromptTokens, int GeneratedTokens, IReadOnlyList<double> TokensPerSecond)
{
    public double Mean => TokensPerSecond.Average();

    /// <summary>Sample standard deviation (n − 1); 0 for a single repetition.</summary>
    public double StdDev
    {
        get
        {
            int n = TokensPerSecond.Count;
            if (n < 2) return 0;
            double mean = Mean;
            return Math.Sqrt(TokensPerSecond.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        }
    }
}

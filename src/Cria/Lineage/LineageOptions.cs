namespace Cria.Lineage;

/// <summary>Settings of <see cref="LineageAnalyzer.Compare"/>; the defaults are what the CLI uses.</summary>
public sealed record LineageOptions
{
    /// <summary>Seeds the choice of shared tokens and the random initializations of the null distribution.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Random-initialized layers generated per model shape for the null distribution (each is compared with every
    /// layer of the other model). More gives a steadier null mean/std at the cost of one layer's work each.
    /// </summary>
    public int NullSamples { get; init; } = 4;

    /// <summary>At most this many shared tokens are used as probe inputs (the invariant matrices are n×n).</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Fewer shared tokens than this gives an inconclusive verdict.</summary>
    public int MinTokens { get; init; } = 32;

    /// <summary>One-sided z above which the verdict is derived (3.09 ≈ p &lt; 0.001).</summary>
    public double DerivedZ { get; init; } = 3.09;

    /// <summary>z below which the verdict is independent (when the test has the power to see a derived pair).</summary>
    public double IndependentZ { get; init; } = 2.0;

    /// <summary>
    /// Leading singular directions removed from every invariant term before comparing. Two models trained from
    /// different seeds on the same data agree on these (token frequency, common attention preferences: correlations
    /// up to 0.98 on stories260K-sized models); what a derived model inherits is spread over all directions.
    /// </summary>
    public int RemovedRank { get; init; } = 8;

    /// <summary>Monte-Carlo draws of the score's null distribution (cheap: no model work).</summary>
    public int NullDraws { get; init; } = 2000;

    /// <summary>Also compute the naive same-name tensor cosine (reads every weight of both models once).</summary>
    public bool TensorCosine { get; init; } = true;
}

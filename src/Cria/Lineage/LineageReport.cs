namespace Cria.Lineage;

/// <summary>Similarity of the aligned layers for one invariant term (QK, OV, MLP).</summary>
public sealed record TermScore(string Term, double AlignedMean);

/// <summary>
/// Everything <see cref="LineageAnalyzer.Compare"/> found: the verdict and the numbers behind it.
/// <see cref="Score"/> is the weakest invariant term's (QK, OV, MLP) mean similarity over the aligned layers (1 =
/// identical, ~0 = unrelated); <see cref="NullMean"/>/<see cref="NullStd"/> are those of the null that binds (the one
/// giving the smaller z) and <see cref="ZScore"/> = (Score − NullMean) / √(NullStd² + ScoreSe²).
/// </summary>
public sealed class LineageReport
{
    public required string ModelA { get; init; }
    public required string ModelB { get; init; }
    public required LineageVerdict Verdict { get; init; }
    public required double Score { get; init; }

    /// <summary>Standard error of <see cref="Score"/> over the choice of probe tokens (jackknife, <see cref="ScoreUncertainty"/>).</summary>
    public required double ScoreSe { get; init; }

    public required double NullMean { get; init; }
    public required double NullStd { get; init; }
    public required double ZScore { get; init; }

    /// <summary>One-sided p-value of <see cref="ZScore"/> under a normal null.</summary>
    public double PValue => 0.5 * Erfc(ZScore / Math.Sqrt(2));

    public required string Reason { get; init; }
    public required IReadOnlyList<string> Evidence { get; init; }
    public required ArchitectureComparison Architecture { get; init; }
    public required SharedTokens Tokens { get; init; }

    /// <summary>Layer-to-layer invariant similarity [layers of A, layers of B] (mean of the terms); empty when not computed.</summary>
    public required double[,] LayerSimilarity { get; init; }

    /// <summary>The aligned layer pairs (A, B).</summary>
    public required IReadOnlyList<(int A, int B)> Alignment { get; init; }

    public required IReadOnlyList<TermScore> Terms { get; init; }

    /// <summary>The nulls that were computed (random-init always, mismatched-layer when both have ≥ 3 layers).</summary>
    public required IReadOnlyList<NullDistribution> Nulls { get; init; }

    /// <summary>z a perfect score (1.0) would reach: below the derived threshold the test cannot tell.</summary>
    public required double CeilingZ { get; init; }

    /// <summary>Naive same-role tensor cosines (empty when shapes differ or it was switched off).</summary>
    public required IReadOnlyList<TensorCosineRow> TensorCosines { get; init; }

    public double? MeanTensorCosine => TensorCosines.Count > 0 ? TensorCosines.Average(r => r.Cosine) : null;

    /// <summary>Correlation of the probe tokens' embedding Gram matrices (geometry; shared training data raises it too).</summary>
    public required double? EmbeddingGeometry { get; init; }

    public required TimeSpan Elapsed { get; init; }

    private static double Erfc(double x)
    {
        // Numerical Recipes' Chebyshev fit, |error| < 1.2e-7: enough for a p-value.
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
            t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}

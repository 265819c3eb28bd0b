using System.Diagnostics;
using System.Globalization;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Lineage;

/// <summary>
/// Decides from the weights whether one model was built on the other.
/// <para>
/// Data flow: shared tokens → probe embeddings X per model → per block the invariant terms (<see cref="InvariantTerms"/>,
/// memory-mapped weights through <see cref="MatMul"/>, one block at a time) → layer-to-layer similarity matrix →
/// order-preserving alignment → score = mean similarity of aligned layers, with its standard error from a jackknife
/// over probe-token groups (<see cref="ScoreUncertainty"/>) → z = (score − null mean) / √(null std² + se²) against two nulls: random-initialized
/// layers of each model's shape (does the pair share more than chance?) and this pair's own mismatched layers (is the
/// sharing specific to corresponding layers, as inherited weights are, or generic, as structure learned from similar
/// data is?). The verdict takes the smaller z.
/// </para>
/// </summary>
public static class LineageAnalyzer
{
    public static LineageReport Compare(LoadedModel a, LoadedModel b, LineageOptions? options = null, IProgress<string>? progress = null)
    {
        options ??= new LineageOptions();
        if (options.NullSamples < 1) throw new ArgumentException($"null samples must be at least 1, got {options.NullSamples}");
        if (options.MaxTokens < 2) throw new ArgumentException($"max tokens must be at least 2, got {options.MaxTokens}");
        if (!(options.DerivedZ > options.IndependentZ)) throw new ArgumentException($"the derived z threshold ({options.DerivedZ}) must exceed the independent one ({options.IndependentZ})");
        if (options.RemovedRank < 0) throw new ArgumentException($"removed rank must not be negative, got {options.RemovedRank}");
        long start = Stopwatch.GetTimestamp();
        WorkerPool pool = WorkerPool.Shared;
        ArchitectureComparison arch = ArchitectureComparison.Of(a, b);
        SharedTokens tokens = SharedTokens.Match(a, b, options.MaxTokens, options.Seed);
        List<string> evidence = [.. arch.Differences()];
        evidence.Add($"shared tokens: {tokens.Shared} of {tokens.VocabA}/{tokens.VocabB} ({tokens.Overlap:P0} of the smaller vocabulary), matched by {tokens.MatchedBy}; {tokens.Count} used as probes");

        IReadOnlyList<TensorCosineRow> cosines = [];
        if (options.TensorCosine)
        {
            progress?.Report("tensor cosine");
            cosines = TensorCosine.Compute(a, b, pool);
        }
        if (cosines.Count > 0)
            evidence.Add($"naive tensor cosine over {cosines.Count} same-role tensors: mean {cosines.Average(c => c.Cosine):F3} (min {cosines.Min(c => c.Cosine):F3}); fooled by permuted or rotated hidden units, so it does not decide");
        else if (options.TensorCosine)
            evidence.Add("naive tensor cosine: no same-shape tensors to compare");

        if (tokens.Count < options.MinTokens)
        {
            string why = $"only {tokens.Count} shared tokens (need {options.MinTokens}) to probe both models with the same inputs";
            return Inconclusive(a, b, why, evidence, arch, tokens, cosines, start);
        }

        using WeightTensor xa = ProbeEmbeddings.FromModel(a.Weights.TokenEmbedding, tokens.IdsA, a.Config.NormEps);
        using WeightTensor xb = ProbeEmbeddings.FromModel(b.Weights.TokenEmbedding, tokens.IdsB, b.Config.NormEps);
        double geometry = GramCorrelation(xa, xb, pool);
        evidence.Add($"embedding geometry of the probe tokens (Gram correlation): {geometry:F3}; similar training data raises it too, so it does not decide");

        float[][][] ta = Terms(a, xa, options.RemovedRank, "A", progress, pool), tb = Terms(b, xb, options.RemovedRank, "B", progress, pool);
        int la = ta.Length, lb = tb.Length, nt = InvariantTerms.Names.Length;
        double[,] s = new double[la, lb];
        double[][,] perTerm = Enumerable.Range(0, nt).Select(_ => new double[la, lb]).ToArray();
        for (int i = 0; i < la; i++)
            for (int j = 0; j < lb; j++)
            {
                double sum = 0;
                for (int t = 0; t < nt; t++) sum += perTerm[t][i, j] = InvariantTerms.Correlation(ta[i][t], tb[j][t]);
                s[i, j] = sum / nt;
            }
        var alignment = LayerAlignment.Best(s);
        var terms = InvariantTerms.Names.Select((name, t) => new TermScore(name, alignment.Average(p => perTerm[t][p.A, p.B]))).ToList();
        double score = NullDistribution.Score(perTerm, alignment);
        double se = ScoreUncertainty.JackknifeSe(ta, tb, alignment, tokens.Count, ScoreUncertainty.DefaultGroups, options.Seed);

        List<double>[] pools = Enumerable.Range(0, nt).Select(_ => new List<double>()).ToArray();
        NullPool(ta, b.Config, tokens.Count, options, 1, progress, pool, pools);
        NullPool(tb, a.Config, tokens.Count, options, 2, progress, pool, pools);
        List<NullDistribution> nulls = [NullDistribution.FromPools(pools, la, lb, options.NullDraws, options.Seed)];
        if (NullDistribution.Mismatched(perTerm, alignment, options.NullDraws, options.Seed) is { } mismatched) nulls.Add(mismatched);
        NullDistribution binding = nulls.MinBy(n => n.Z(score, se))!;
        double z = binding.Z(score, se), ceiling = binding.Z(1.0);

        evidence.Add($"invariant similarity of {alignment.Length} aligned layer pairs: " +
            string.Join(", ", terms.Select(t => $"{t.Term} {t.AlignedMean:F3}")) + $"; score (weakest term) {score:F3} ± {se:F4} (jackknife over {ScoreUncertainty.DefaultGroups} groups of probe tokens)");
        if (la != lb || alignment.Any(p => p.A != p.B))
            evidence.Add("layer alignment: " + string.Join(" ", alignment.Select(p => $"{p.A}→{p.B}")));
        foreach (NullDistribution n in nulls)
            evidence.Add($"{n.Name} null: mean {n.Mean:F4}, std {n.Std:F4} → z {Fmt(n.Z(score, se))} (difference over √(std² + se²))");
        if (nulls.Count == 1)
            evidence.Add("with fewer than 3 layers on a side there is no mismatched-layer null: structure shared through similar training data is controlled only by the low-rank removal");

        LineageVerdict verdict;
        string reason;
        if (z >= options.DerivedZ)
        {
            verdict = LineageVerdict.Derived;
            reason = $"aligned layers share invariant structure {score:F3} ± {se:F3} far beyond unrelated layers ({binding.Name} null {binding.Mean:F3} ± {binding.Std:F3}, z {Fmt(z)})";
            if (cosines.Count > 0 && cosines.Average(c => c.Cosine) < 0.5)
                reason += "; the tensors themselves differ (mean cosine " + cosines.Average(c => c.Cosine).ToString("F3", CultureInfo.InvariantCulture) + "), as after permuting or rotating hidden units";
        }
        else if (ceiling < options.DerivedZ)
        {
            verdict = LineageVerdict.Inconclusive;
            reason = $"the test has no power here: even identical layers would only reach z {Fmt(ceiling)} against the {binding.Name} null ({binding.Mean:F3} ± {binding.Std:F3})";
        }
        else if (z < options.IndependentZ)
        {
            verdict = LineageVerdict.Independent;
            reason = $"aligned layers are no more alike ({score:F3} ± {se:F3}) than {(binding.Name == "random-init" ? "random-initialized layers" : "mismatched layers of the same pair")} ({binding.Mean:F3} ± {binding.Std:F3}, z {Fmt(z)})";
        }
        else
        {
            verdict = LineageVerdict.Inconclusive;
            reason = $"weak evidence: z {Fmt(z)} against the {binding.Name} null is between {options.IndependentZ} and {options.DerivedZ}";
        }

        return new LineageReport
        {
            ModelA = a.Path,
            ModelB = b.Path,
            Verdict = verdict,
            Score = score,
            ScoreSe = se,
            NullMean = binding.Mean,
            NullStd = binding.Std,
            ZScore = z,
            Reason = reason,
            Evidence = evidence,
            Architecture = arch,
            Tokens = tokens,
            LayerSimilarity = s,
            Alignment = alignment,
            Terms = terms,
            Nulls = nulls,
            CeilingZ = ceiling,
            TensorCosines = cosines,
            EmbeddingGeometry = geometry,
            Elapsed = Stopwatch.GetElapsedTime(start),
        };
    }

    private static string Fmt(double z) => double.IsPositiveInfinity(z) ? "∞" : z.ToString("F1", CultureInfo.InvariantCulture);

    private static float[][][] Terms(LoadedModel m, WeightTensor x, int removedRank, string side, IProgress<string>? progress, WorkerPool pool)
    {
        var terms = new float[m.Config.Layers][][];
        for (int l = 0; l < terms.Length; l++)
        {
            progress?.Report($"model {side}: layer {l + 1}/{terms.Length}");
            terms[l] = InvariantTerms.Compute(x, InvariantLayer.Of(m.Weights.Layers[l], m.Config), pool, removedRank);
        }
        return terms;
    }

    /// <summary>Similarities between every real layer of one side and random-initialized layers of the other side's shape.</summary>
    private static void NullPool(float[][][] real, LlamaConfig otherShape, int n, LineageOptions o, int side, IProgress<string>? progress, WorkerPool pool, List<double>[] into)
    {
        ulong baseSeed = (ulong)o.Seed * 1_000_003UL + (ulong)side * 7_919UL;
        using WeightTensor x = ProbeEmbeddings.Random(n, otherShape.Dim, baseSeed, otherShape.NormEps);
        for (int k = 0; k < o.NullSamples; k++)
        {
            progress?.Report($"null: random layer {k + 1}/{o.NullSamples} of shape {(side == 1 ? "B" : "A")}");
            using InvariantLayer r = RandomLayer.Create(otherShape, baseSeed + (ulong)k + 1);
            float[][] rt = InvariantTerms.Compute(x, r, pool, o.RemovedRank);
            foreach (float[][] layer in real)
                for (int t = 0; t < rt.Length; t++) into[t].Add(InvariantTerms.Correlation(layer[t], rt[t]));
        }
    }

    private static unsafe double GramCorrelation(WeightTensor xa, WeightTensor xb, WorkerPool pool)
    {
        int n = xa.Rows;
        using WeightTensor ga = WeightTensor.AllocateF32("gram A", n, n), gb = WeightTensor.AllocateF32("gram B", n, n);
        MatMul.Forward(xa, (float*)xa.Data, n, (float*)ga.Data, pool);
        MatMul.Forward(xb, (float*)xb.Data, n, (float*)gb.Data, pool);
        return InvariantTerms.Correlation(InvariantTerms.Standardize(ga.AsF32Span(), n, 0), InvariantTerms.Standardize(gb.AsF32Span(), n, 0));
    }

    private static LineageReport Inconclusive(LoadedModel a, LoadedModel b, string why, List<string> evidence, ArchitectureComparison arch, SharedTokens tokens, IReadOnlyList<TensorCosineRow> cosines, long start) => new()
    {
        ModelA = a.Path,
        ModelB = b.Path,
        Verdict = LineageVerdict.Inconclusive,
        Score = double.NaN,
        ScoreSe = double.NaN,
        NullMean = double.NaN,
        NullStd = double.NaN,
        ZScore = double.NaN,
        Reason = why,
        Evidence = evidence,
        Architecture = arch,
        Tokens = tokens,
        LayerSimilarity = new double[0, 0],
        Alignment = [],
        Terms = [],
        Nulls = [],
        CeilingZ = double.NaN,
        TensorCosines = cosines,
        EmbeddingGeometry = null,
        Elapsed = Stopwatch.GetElapsedTime(start),
    };
}

using Cria.Generation;

namespace Cria.Tests.Generation;

public class SamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.5f, -1f, 2.9f];

    private static int[] Histogram(SamplingOptions o, int draws)
    {
        Sampler s = new(o);
        int[] counts = new int[Logits.Length];
        for (int i = 0; i < draws; i++) counts[s.Sample((float[])Logits.Clone(), [])]++;
        return counts;
    }

    [Fact]
    public void Temperature_zero_is_argmax_with_first_maximum()
    {
        Sampler s = new(SamplingOptions.Greedy);
        Assert.Equal(1, s.Sample((float[])Logits.Clone(), []));
        Assert.Equal(0, Sampler.Argmax([2f, 2f, 1f]));
    }

    [Fact]
    public void Top_k_one_always_picks_the_maximum()
    {
        int[] h = Histogram(new SamplingOptions { Temperature = 1.5f, TopK = 1, TopP = 1, MinP = 0, Seed = 3 }, 200);
        Assert.Equal(200, h[1]);
    }

    [Fact]
    public void Top_k_limits_the_candidates()
    {
        int[] h = Histogram(new SamplingOptions { Temperature = 5f, TopK = 3, TopP = 1, MinP = 0, Seed = 3 }, 3000);
        Assert.Equal(0, h[0]);
        Assert.Equal(0, h[3]);
        Assert.True(h[1] > 0 && h[2] > 0 && h[4] > 0);
    }

    [Fact]
    public void Top_k_selection_breaks_ties_by_lower_id_on_a_large_vocabulary()
    {
        Random rng = new(4);
        float[] logits = new float[32000];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)Math.Round(rng.NextDouble() * 4, 1);
        int[] expected = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(5).ToArray();
        Sampler s = new(new SamplingOptions { Temperature = 100f, TopK = 5, TopP = 1, MinP = 0, Seed = 1 });
        HashSet<int> seen = new();
        for (int i = 0; i < 400; i++) seen.Add(s.Sample((float[])logits.Clone(), []));
        Assert.Equal(expected.Order(), seen.Order());
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // At temperature 1: p ≈ [.036, .365, .221, .005, .330] → sorted .365, .330 (cum .695), .221 (cum .916).
        int[] h = Histogram(new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 0.9f, MinP = 0, Seed = 11 }, 4000);
        Assert.Equal(0, h[0]);
        Assert.Equal(0, h[3]);
        Assert.True(h[2] > 0);
        int[] h2 = Histogram(new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 0.6f, MinP = 0, Seed = 11 }, 4000);
        Assert.Equal(0, h2[2]);
        Assert.True(h2[1] > 0 && h2[4] > 0);
    }

    [Fact]
    public void Min_p_drops_tokens_below_a_fraction_of_the_best()
    {
        // p(2)/p(1) = e^-0.5 ≈ 0.61, p(0)/p(1) = e^-2 ≈ 0.135.
        int[] h = Histogram(new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1, MinP = 0.5f, Seed = 5 }, 4000);
        Assert.Equal(0, h[0]);
        Assert.Equal(0, h[3]);
        Assert.True(h[2] > 0);
        int[] h2 = Histogram(new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1, MinP = 0.7f, Seed = 5 }, 4000);
        Assert.Equal(0, h2[2]);
    }

    [Fact]
    public void Frequencies_follow_the_softmax()
    {
        const int draws = 40000;
        int[] h = Histogram(new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1, MinP = 0, Seed = 99 }, draws);
        double max = Logits.Max(), z = Logits.Sum(l => Math.Exp(l - max));
        for (int i = 0; i < Logits.Length; i++)
        {
            double p = Math.Exp(Logits[i] - max) / z;
            double sd = Math.Sqrt(p * (1 - p) / draws);
            Assert.InRange(h[i] / (double)draws, p - 5 * sd - 1e-4, p + 5 * sd + 1e-4);
        }
    }

    [Fact]
    public void Same_seed_same_draws()
    {
        SamplingOptions o = new() { Temperature = 1f, TopK = 0, TopP = 1, MinP = 0, Seed = 1234 };
        Assert.Equal(Histogram(o, 50), Histogram(o, 50));
        Sampler a = new(o), b = new(o with { Seed = 1235 });
        int[] sa = Enumerable.Range(0, 50).Select(_ => a.Sample((float[])Logits.Clone(), [])).ToArray();
        int[] sb = Enumerable.Range(0, 50).Select(_ => b.Sample((float[])Logits.Clone(), [])).ToArray();
        Assert.NotEqual(sa, sb);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits()
    {
        Sampler s = new(SamplingOptions.Greedy with { RepeatPenalty = 2f, RepeatLastN = 2 });
        float[] l = [4f, 3f, -1f, 3.5f];
        // History [0, 2] within the window: logit 0 → 2, logit 2 → -2; argmax becomes 3.
        Assert.Equal(3, s.Sample(l, [1, 0, 2]));
        Assert.Equal([2f, 3f, -2f, 3.5f], l);
    }

    [Theory]
    [InlineData(-1f, 40, 0.9f, 0f)]
    [InlineData(1f, -1, 0.9f, 0f)]
    [InlineData(1f, 40, 0f, 0f)]
    [InlineData(1f, 40, 0.9f, 1f)]
    [InlineData(float.NaN, 40, 0.9f, 0f)]
    public void Invalid_options_are_rejected(float t, int k, float p, float minP)
    {
        Assert.Throws<ArgumentException>(() => new Sampler(new SamplingOptions { Temperature = t, TopK = k, TopP = p, MinP = minP }));
    }

    /// <summary>The tokens a draw may return, computed the plain way: full sort, top-k, softmax, top-p, min-p.</summary>
    private static HashSet<int> Allowed(float[] logits, SamplingOptions o)
    {
        int[] order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToArray();
        if (o.TopK > 0 && o.TopK < order.Length) order = order[..o.TopK];
        double max = logits[order[0]];
        double[] w = order.Select(i => Math.Exp((logits[i] - max) / o.Temperature)).ToArray();
        double z = w.Sum(), mass = 0;
        HashSet<int> kept = new();
        for (int j = 0; j < order.Length; j++)
        {
            if (j > 0 && w[j] < o.MinP * w[0]) break;
            kept.Add(order[j]);
            mass += w[j];
            if (o.TopP < 1 && mass >= o.TopP * z) break;
        }
        return kept;
    }

    public static TheoryData<string, int, float, float> SelectionCases() => new()
    {
        { "ascending", 40, 1f, 0f },
        { "descending", 40, 1f, 0f },
        { "all equal", 7, 1f, 0f },
        { "random", 0, 0.9f, 0f },
        { "random", 0, 1f, 0.05f },
        { "random", 25, 0.95f, 0.05f },
        { "two levels", 0, 0.5f, 0f },
    };

    [Theory]
    [MemberData(nameof(SelectionCases))]
    public void Draws_cover_exactly_the_tokens_a_full_sort_allows(string shape, int topK, float topP, float minP)
    {
        Random rng = new(shape.Length + topK);
        float[] logits = new float[401];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = shape switch
            {
                "ascending" => i * 1e-2f,
                "descending" => -i * 1e-2f,
                "all equal" => 1.5f,
                "two levels" => i % 3 == 0 ? 2f : 0f,
                _ => (float)(rng.NextDouble() * 3),
            };
        SamplingOptions o = new() { Temperature = 50f, TopK = topK, TopP = topP, MinP = minP, Seed = 17 };
        HashSet<int> allowed = Allowed(logits, o);
        Sampler s = new(o);
        HashSet<int> seen = new();
        for (int i = 0; i < Math.Min(30 * allowed.Count + 200, 6000); i++) seen.Add(s.Sample((float[])logits.Clone(), []));
        Assert.Subset(allowed, seen);
        // With a flat distribution every allowed token turns up; a sampler cutting too much would miss some.
        if (allowed.Count <= 60) Assert.Equal(allowed.Order(), seen.Order());
    }

    [Fact]
    public void Draws_allocate_nothing_after_the_first()
    {
        float[] logits = Enumerable.Range(0, 512).Select(i => MathF.Sin(i) * 4).ToArray();
        int[] history = Enumerable.Range(0, 80).ToArray();
        foreach (SamplingOptions o in new SamplingOptions[] { new(), new() { TopK = 0 }, new() { TopK = 0, TopP = 1, RepeatPenalty = 1.3f } })
        {
            Sampler s = new(o);
            float[] work = new float[logits.Length];
            logits.CopyTo(work, 0);
            s.Sample(work, history);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++)
            {
                logits.CopyTo(work, 0);
                s.Sample(work, history);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void Stop_matcher_holds_back_possible_prefixes()
    {
        StopMatcher m = new(["END"]);
        Assert.Equal("ab", m.Push("abE"));
        Assert.Equal("", m.Push("N"));
        Assert.Equal("ENx", m.Push("x"));
        Assert.Equal("y", m.Push("y"));
        Assert.Equal("z", m.Push("zEND tail"));
        Assert.True(m.Stopped);
        Assert.Equal("", m.Flush());
    }
}

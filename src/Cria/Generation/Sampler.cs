namespace Cria.Generation;

/// <summary>
/// Picks the next token from logits: repetition penalty, then top-k, top-p and min-p filtering on the
/// temperature-scaled distribution, then a draw from a seeded xorshift generator. The same seed and
/// logits always give the same token.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private ulong _state;
    private (int Id, float Logit)[] _candidates = [];

    public Sampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _state = options.Seed == 0 ? 0x9E3779B97F4A7C15UL : options.Seed;
    }

    public static int Argmax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Chooses a token. <paramref name="logits"/> may be modified (penalties).</summary>
    public int Sample(Span<float> logits, ReadOnlySpan<int> history)
    {
        SamplingOptions o = _options;
        if (o.RepeatPenalty != 1f && o.RepeatLastN > 0) ApplyRepeatPenalty(logits, history);
        if (o.Temperature == 0) return Argmax(logits);

        int n = logits.Length;
        if (_candidates.Length < n) _candidates = new (int, float)[n];
        Span<(int Id, float Logit)> cand = _candidates.AsSpan(0, n);
        for (int i = 0; i < n; i++) cand[i] = (i, logits[i]);
        cand.Sort(static (a, b) => b.Logit != a.Logit ? b.Logit.CompareTo(a.Logit) : a.Id.CompareTo(b.Id));

        int keep = o.TopK > 0 ? Math.Min(o.TopK, n) : n;
        cand = cand[..keep];

        // Probabilities at the chosen temperature, largest first.
        float max = cand[0].Logit;
        double[] p = new double[cand.Length];
        double sum = 0;
        for (int i = 0; i < cand.Length; i++)
        {
            p[i] = Math.Exp((cand[i].Logit - max) / o.Temperature);
            sum += p[i];
        }
        for (int i = 0; i < cand.Length; i++) p[i] /= sum;

        int count = cand.Length;
        if (o.TopP < 1f)
        {
            double cumulative = 0;
            for (int i = 0; i < count; i++)
            {
                cumulative += p[i];
                if (cumulative >= o.TopP)
                {
                    count = i + 1;
                    break;
                }
            }
        }
        if (o.MinP > 0f)
        {
            double threshold = p[0] * o.MinP;
            int kept = 1;
            while (kept < count && p[kept] >= threshold) kept++;
            count = kept;
        }

        double total = 0;
        for (int i = 0; i < count; i++) total += p[i];
        double r = NextDouble() * total;
        double acc = 0;
        for (int i = 0; i < count; i++)
        {
            acc += p[i];
            if (r < acc) return cand[i].Id;
        }
        return cand[count - 1].Id;
    }

    private void ApplyRepeatPenalty(Span<float> logits, ReadOnlySpan<int> history)
    {
        int start = Math.Max(0, history.Length - _options.RepeatLastN);
        HashSet<int> seen = new();
        for (int i = start; i < history.Length; i++)
        {
            int id = history[i];
            if ((uint)id >= (uint)logits.Length || !seen.Add(id)) continue;
            logits[id] = logits[id] > 0 ? logits[id] / _options.RepeatPenalty : logits[id] * _options.RepeatPenalty;
        }
    }

    private double NextDouble()
    {
        // xorshift64*: small, fast and fully determined by the seed.
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        ulong r = _state * 0x2545F4914F6CDD1DUL;
        return (r >> 11) * (1.0 / (1UL << 53));
    }
}

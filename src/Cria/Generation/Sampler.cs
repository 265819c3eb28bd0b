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
    private double[] _p = [];

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
        if (_p.Length < n) _p = new double[n];
        Span<(int Id, float Logit)> cand;
        if (o.TopK > 0 && o.TopK < n)
        {
            // A full sort of a 32K–128K vocabulary per token would cost more than the forward pass of a small model.
            cand = SelectTop(logits, o.TopK);
        }
        else
        {
            cand = _candidates.AsSpan(0, n);
            for (int i = 0; i < n; i++) cand[i] = (i, logits[i]);
            if (o.TopP < 1f || o.MinP > 0f) cand.Sort(ByLogitDescending);
            else
            {
                // Plain temperature sampling needs no order; only the maximum, for a stable softmax.
                int best = Argmax(logits);
                (cand[0], cand[best]) = (cand[best], cand[0]);
            }
        }

        // Probabilities at the chosen temperature (largest first when filtering needs the order).
        float max = cand[0].Logit;
        Span<double> p = _p.AsSpan(0, cand.Length);
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

    private static int ByLogitDescending((int Id, float Logit) a, (int Id, float Logit) b) =>
        b.Logit != a.Logit ? b.Logit.CompareTo(a.Logit) : a.Id.CompareTo(b.Id);

    /// <summary>The k best (logit descending, then id ascending), sorted, via a size-k min-heap: O(n log k).</summary>
    private Span<(int Id, float Logit)> SelectTop(ReadOnlySpan<float> logits, int k)
    {
        Span<(int Id, float Logit)> heap = _candidates.AsSpan(0, k);
        for (int i = 0; i < k; i++) heap[i] = (i, logits[i]);
        for (int i = k / 2 - 1; i >= 0; i--) SiftDown(heap, i);
        for (int i = k; i < logits.Length; i++)
        {
            // heap[0] is the worst kept candidate; a later id only displaces it with a strictly larger logit.
            if (logits[i] > heap[0].Logit)
            {
                heap[0] = (i, logits[i]);
                SiftDown(heap, 0);
            }
        }
        heap.Sort(ByLogitDescending);
        return heap;
    }

    private static void SiftDown(Span<(int Id, float Logit)> heap, int i)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < heap.Length && ByLogitDescending(heap[l], heap[worst]) > 0) worst = l;
            if (r < heap.Length && ByLogitDescending(heap[r], heap[worst]) > 0) worst = r;
            if (worst == i) return;
            (heap[i], heap[worst]) = (heap[worst], heap[i]);
            i = worst;
        }
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

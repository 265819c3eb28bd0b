using System.Numerics;

namespace Cria.Generation;

/// <summary>
/// Picks the next token from logits: repetition penalty, then top-k, top-p and min-p filtering on the
/// temperature-scaled distribution, then a draw from a seeded xorshift generator. The same seed and
/// logits always give the same token.
/// <para>
/// Candidates are ranked by logit, then by lower id, through one 64-bit key per token (an order-preserving image
/// of the logit above the complemented id), so ranking compares integers. Only as much is ordered as the filters
/// need: top-k selects its k in linear time and sorts only those; top-p and min-p without top-k pop a heap of the surviving tokens until the
/// kept mass is reached, rather than sorting the vocabulary. Buffers are reused, so a draw allocates nothing.
/// </para>
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private ulong _state;
    private ulong[] _keys = [];
    private double[] _weights = [];
    private int[] _seen = [];
    private int _stamp;

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
        if (_keys.Length < n)
        {
            _keys = new ulong[n];
            _weights = new double[n];
        }
        bool filter = o.TopP < 1f || o.MinP > 0f;
        if (o.TopK > 0 && o.TopK < n)
        {
            // The k best in order; weights follow that order.
            Span<ulong> top = SelectTop(logits, o.TopK);
            float max = logits[IdOf(top[0])];
            double z = 0;
            for (int i = 0; i < top.Length; i++) z += _weights[i] = Weight(logits[IdOf(top[i])], max);
            int cut = filter ? Cut(top, _weights, z, top.Length) : top.Length;
            return Draw(top[..cut], _weights);
        }

        // The whole vocabulary: weights by id.
        float best = logits[Argmax(logits)];
        double total = 0;
        for (int i = 0; i < n; i++) total += _weights[i] = Weight(logits[i], best);
        if (!filter) return DrawById(_weights.AsSpan(0, n), total);

        // Tokens below min-p (relative to the best, whose weight is 1) cannot be kept whatever their rank.
        double floor = o.MinP;
        if (o.TopP >= 1f)
        {
            double kept = 0;
            for (int i = 0; i < n; i++)
                if (_weights[i] < floor) _weights[i] = 0;
                else kept += _weights[i];
            return DrawById(_weights.AsSpan(0, n), kept);
        }

        // Top-p: the survivors are popped best first from a heap until they hold the mass.
        int m = 0;
        for (int i = 0; i < n; i++)
            if (_weights[i] >= floor) _keys[m++] = Key(logits[i], i);
        Span<ulong> heap = _keys.AsSpan(0, m);
        for (int i = m / 2 - 1; i >= 0; i--) SiftDownMax(heap, i, m);
        int count = 0;
        double mass = 0, target = o.TopP * total;
        while (m > 0)
        {
            ulong k = heap[0];
            heap[0] = heap[--m];
            SiftDownMax(heap, 0, m);
            // Popped keys collect at the end of the array, in descending order from the back.
            heap[m] = k;
            count++;
            mass += _weights[IdOf(k)];
            if (mass >= target) break;
        }
        Span<ulong> order = heap.Slice(m, count);
        order.Reverse();
        double r = NextDouble() * mass;
        double acc = 0;
        foreach (ulong k in order)
        {
            acc += _weights[IdOf(k)];
            if (r < acc) return IdOf(k);
        }
        return IdOf(order[^1]);
    }

    private double Weight(float logit, float max) => Math.Exp((logit - max) / _options.Temperature);

    /// <summary>How many of the sorted candidates top-p and min-p keep (at least one).</summary>
    private int Cut(ReadOnlySpan<ulong> sorted, ReadOnlySpan<double> weights, double z, int count)
    {
        SamplingOptions o = _options;
        double target = o.TopP * z, mass = 0, floor = o.MinP * weights[0];
        for (int i = 0; i < count; i++)
        {
            if (i > 0 && weights[i] < floor) return i;
            mass += weights[i];
            if (o.TopP < 1f && mass >= target) return i + 1;
        }
        return count;
    }

    private int Draw(ReadOnlySpan<ulong> candidates, ReadOnlySpan<double> weights)
    {
        double total = 0;
        for (int i = 0; i < candidates.Length; i++) total += weights[i];
        double r = NextDouble() * total, acc = 0;
        for (int i = 0; i < candidates.Length; i++)
        {
            acc += weights[i];
            if (r < acc) return IdOf(candidates[i]);
        }
        return IdOf(candidates[^1]);
    }

    private int DrawById(ReadOnlySpan<double> weights, double total)
    {
        double r = NextDouble() * total, acc = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0) continue;
            acc += weights[i];
            last = i;
            if (r < acc) return i;
        }
        return last;
    }

    /// <summary>Larger key = better candidate: higher logit, then lower id.</summary>
    private static ulong Key(float logit, int id)
    {
        uint b = BitConverter.SingleToUInt32Bits(logit);
        uint ordered = (b & 0x8000_0000u) != 0 ? ~b : b | 0x8000_0000u;
        return (ulong)ordered << 32 | ~(uint)id;
    }

    private static int IdOf(ulong key) => (int)~(uint)key;

    /// <summary>
    /// The k best keys, best first: a quickselect moves them to the front (expected O(n), median-of-three pivots;
    /// a range that keeps resisting is sorted instead, so the worst case stays O(n log n)), then they are sorted.
    /// </summary>
    private Span<ulong> SelectTop(ReadOnlySpan<float> logits, int k)
    {
        int n = logits.Length;
        Span<ulong> a = _keys.AsSpan(0, n);
        for (int i = 0; i < n; i++) a[i] = Key(logits[i], i);
        int lo = 0, hi = n - 1, budget = 2 * (BitOperations.Log2((uint)n) + 2);
        while (lo < hi)
        {
            if (--budget < 0)
            {
                a[lo..(hi + 1)].Sort();
                a[lo..(hi + 1)].Reverse();
                break;
            }
            int mid = lo + (hi - lo) / 2;
            ulong x = a[lo], y = a[mid], z = a[hi];
            ulong pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            // Keys are distinct (ids differ), so this partition always makes progress.
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else break;
        }
        Span<ulong> top = a[..k];
        top.Sort();
        top.Reverse();
        return top;
    }

    private static void SiftDownMax(Span<ulong> heap, int i, int size)
    {
        while (true)
        {
            int l = 2 * i + 1, r = l + 1, most = i;
            if (l < size && heap[l] > heap[most]) most = l;
            if (r < size && heap[r] > heap[most]) most = r;
            if (most == i) return;
            (heap[i], heap[most]) = (heap[most], heap[i]);
            i = most;
        }
    }

    private void ApplyRepeatPenalty(Span<float> logits, ReadOnlySpan<int> history)
    {
        if (_seen.Length < logits.Length) _seen = new int[logits.Length];
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_seen);
            _stamp = 1;
        }
        int start = Math.Max(0, history.Length - _options.RepeatLastN);
        for (int i = start; i < history.Length; i++)
        {
            int id = history[i];
            if ((uint)id >= (uint)logits.Length || _seen[id] == _stamp) continue;
            _seen[id] = _stamp;
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

using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Tests.Evaluation;

/// <summary>
/// A deliberately plain re-implementation of lm-evaluation-harness's scoring rules, as the independent reference
/// for the evaluation code: every (context, continuation) gets a fresh KV cache and one forward pass over its whole
/// input, and log-softmax is a direct float64 log-sum-exp.
/// </summary>
internal sealed class NaiveHarness(LoadedModel loaded, int maxLength)
{
    private readonly ITokenizer _tok = loaded.Tokenizer!;
    private readonly Dictionary<string, (double, bool)> _done = [];

    /// <summary>Requests computed, and identical requests answered again without recomputing.</summary>
    public int Computed { get; private set; }

    public int Repeated { get; private set; }

    /// <summary>Computed requests whose context + continuation exceeded the window and were cut on the left.</summary>
    public int Truncated { get; private set; }

    /// <summary>stories260K's matrices are too small to gain from threads; waking them costs more than it saves.</summary>
    public static WorkerPool OneThread { get; } = new(1);

    public (double Ll, bool Greedy) Loglikelihood(string context, string continuation)
    {
        int[] ctx, cont;
        if (context == "")
        {
            ctx = [_tok.BosId];
            cont = _tok.Encode(continuation, false);
        }
        else
        {
            // Trailing whitespace of the context belongs to the continuation.
            int end = context.Length;
            while (end > 0 && char.IsWhiteSpace(context[end - 1])) end--;
            continuation = context.Substring(end) + continuation;
            context = context.Substring(0, end);
            int[] whole = _tok.Encode(context + continuation, false);
            ctx = _tok.Encode(context, false);
            cont = whole.Skip(ctx.Length).ToArray();
        }
        return Tokens(ctx, cont);
    }

    public (double Ll, bool Greedy) Tokens(int[] ctx, int[] cont)
    {
        // Only byte-identical requests (whole context and continuation) are answered from memory; nothing else is shared.
        string key = string.Join(',', ctx) + "|" + string.Join(',', cont);
        if (_done.TryGetValue(key, out (double, bool) known))
        {
            Repeated++;
            return known;
        }
        Computed++;
        return _done[key] = Compute(ctx, cont);
    }

    private (double Ll, bool Greedy) Compute(int[] ctx, int[] cont)
    {
        List<int> all = [.. ctx, .. cont];
        if (all.Count > maxLength + 1)
        {
            all = all.GetRange(all.Count - (maxLength + 1), maxLength + 1);
            Truncated++;
        }
        int[] input = all.Take(all.Count - 1).ToArray();
        int vocab = loaded.Config.VocabSize;
        using LlamaModel model = new(loaded) { Pool = OneThread };
        using KvCache cache = model.CreateCache(maxLength);
        float[] logits = new float[input.Length * vocab];
        model.Forward(input, cache, logits, allLogits: true);
        double sum = 0;
        bool greedy = true;
        for (int j = 0; j < cont.Length; j++)
        {
            int row = input.Length - cont.Length + j;
            double max = double.NegativeInfinity;
            int best = -1;
            for (int v = 0; v < vocab; v++)
                if (logits[row * vocab + v] > max)
                {
                    max = logits[row * vocab + v];
                    best = v;
                }
            double z = 0;
            for (int v = 0; v < vocab; v++) z += Math.Exp(logits[row * vocab + v] - max);
            sum += logits[row * vocab + cont[j]] - max - Math.Log(z);
            greedy &= best == cont[j];
        }
        return (sum, greedy);
    }

    /// <summary>Disjoint rolling windows written out directly: window k predicts tokens [k·L, (k+1)·L).</summary>
    public double Rolling(string text)
    {
        int[] t = _tok.Encode(text, false);
        double sum = 0;
        for (int start = 0; start < t.Length; start += maxLength)
        {
            int n = Math.Min(maxLength, t.Length - start);
            int[] pred = t.Skip(start).Take(n).ToArray();
            int[] ctx = start == 0 ? [_tok.BosId] : t.Skip(start + n - maxLength - 1).Take(maxLength + 1 - n).ToArray();
            sum += Tokens(ctx, pred).Ll;
        }
        return sum;
    }
}

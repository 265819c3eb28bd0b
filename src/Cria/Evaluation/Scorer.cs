using System.Runtime.InteropServices;
using Cria.Generation;
using Cria.Model;
using Cria.Text;

namespace Cria.Evaluation;

/// <summary>
/// The three request types of lm-evaluation-harness on Cria's engine: loglikelihood, loglikelihood_rolling and
/// greedy generate_until. Log-likelihood requests are scored <see cref="BatchSize"/> at a time, each in its own KV
/// cache slot, with all their tokens run through the model in one batched pass
/// (<see cref="LlamaModel.ForwardSegments"/>). Slots are kept between requests: a request reuses the longest prefix
/// it shares with its slot's previous tokens (an identical few-shot block across questions) or with an earlier
/// request of its batch, whose cache rows it copies (the question's context for every choice), and computes only
/// the rest. The engine computes every (row, output) in one canonical order, so the scores equal those of a fresh
/// cache per request bit for bit, whatever the batch size, thread count or reuse. Not thread-safe.
/// </summary>
public sealed class Scorer : IDisposable
{
    /// <summary>Rows per model pass; bounds the logits buffer to this many vocabulary rows.</summary>
    private const int RowsPerPass = 128;

    private readonly LlamaModel _model;
    private readonly KvCache[] _caches;
    private readonly List<int>[] _cached;
    private readonly int _vocab;
    private float[] _logits;

    public ITokenizer Tokenizer { get; }

    /// <summary>Longest input the model sees; longer inputs are cut on the left, as the harness does.</summary>
    public int MaxLength { get; }

    /// <summary>Whether encodings start with BOS (the Open LLM Leaderboard v1 added none).</summary>
    public bool AddBos { get; init; }

    /// <summary>When false, every request starts from an empty cache (the naive computation).</summary>
    public bool ReusePrefix { get; init; } = true;

    /// <summary>Tokens actually run through the model.</summary>
    public long ForwardTokens { get; private set; }

    /// <summary>Tokens a fresh cache per request would have run through the model.</summary>
    public long NaiveTokens { get; private set; }

    /// <summary>Log-likelihood requests run through the model together (lm-evaluation-harness's --batch_size).</summary>
    public int BatchSize { get; }

    public Scorer(LlamaModel model, ITokenizer tokenizer, int maxLength, int batchSize = 1)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), "the context must hold at least 2 tokens");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"the batch size must be at least 1, got {batchSize}");
        _model = model;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        BatchSize = batchSize;
        _vocab = model.Config.VocabSize;
        _caches = new KvCache[batchSize];
        _cached = new List<int>[batchSize];
        for (int i = 0; i < batchSize; i++)
        {
            _caches[i] = model.CreateCache(maxLength);
            _cached[i] = [];
        }
        _logits = new float[_vocab];
    }

    public EncodedPair Encode(string context, string continuation) => EncodedPair.Encode(Tokenizer, context, continuation, AddBos);

    public LoglikelihoodResult Loglikelihood(string context, string continuation)
    {
        EncodedPair p = Encode(context, continuation);
        return LoglikelihoodTokens(p.Context, p.Continuation);
    }

    /// <summary>
    /// Scores <paramref name="continuation"/> after <paramref name="context"/>: the model sees the last
    /// MaxLength + 1 tokens of both, minus the final one.
    /// </summary>
    public LoglikelihoodResult LoglikelihoodTokens(ReadOnlySpan<int> context, ReadOnlySpan<int> continuation) =>
        LoglikelihoodMany([new EncodedPair(context.ToArray(), continuation.ToArray())])[0];

    /// <summary>Scores every choice after one context; the context is computed once.</summary>
    public LoglikelihoodResult[] LoglikelihoodChoices(string context, IReadOnlyList<string> continuations) =>
        LoglikelihoodMany([.. continuations.Select(c => Encode(context, c))]);

    /// <summary>Scores token requests, <see cref="BatchSize"/> per model pass; results come back in request order.</summary>
    public LoglikelihoodResult[] LoglikelihoodMany(IReadOnlyList<EncodedPair> requests)
    {
        LoglikelihoodResult[] results = new LoglikelihoodResult[requests.Count];
        for (int first = 0; first < requests.Count; first += BatchSize)
            ScoreGroup(requests, first, Math.Min(BatchSize, requests.Count - first), results);
        return results;
    }

    /// <summary>The harness's disjoint rolling windows of a text as token requests (see <see cref="RollingWindows"/>).</summary>
    public List<EncodedPair> RollingRequests(string text) =>
        [.. RollingWindows.Disjoint(Tokenizer.Encode(text, false), EncodedPair.PrefixToken(Tokenizer), MaxLength).Select(w => new EncodedPair(w.Context, w.Predicted))];

    /// <summary>
    /// Log-likelihood of a whole text in the harness's disjoint windows: the first window is conditioned on the
    /// prefix token, each later one on the single token before it, and every token is scored exactly once.
    /// </summary>
    public double LoglikelihoodRolling(string text) => SumInOrder(LoglikelihoodMany(RollingRequests(text)));

    /// <summary>Window log-likelihoods added first to last, the one order every batch size uses.</summary>
    public static double SumInOrder(ReadOnlySpan<LoglikelihoodResult> windows)
    {
        double sum = 0;
        foreach (LoglikelihoodResult w in windows) sum += w.LogLikelihood;
        return sum;
    }

    /// <summary>
    /// Greedy continuation of <paramref name="context"/> until a stop string, an end-of-sequence token or
    /// <paramref name="maxTokens"/>; the text is cut before the first stop string, as the harness does.
    /// </summary>
    public string GenerateUntil(string context, IReadOnlyList<string> stops, int maxTokens) => GenerateMany([context], stops, maxTokens)[0];

    /// <summary>
    /// Greedy continuations of several contexts (see <see cref="GenerateUntil"/>), <see cref="BatchSize"/> at a
    /// time: each in its own slot, prompts prefilled in one pass, then one token per running sequence per pass.
    /// The logits do not depend on the batch, so neither do the texts.
    /// </summary>
    public string[] GenerateMany(IReadOnlyList<string> contexts, IReadOnlyList<string> stops, int maxTokens)
    {
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens));
        string[] texts = new string[contexts.Count];
        for (int first = 0; first < contexts.Count; first += BatchSize)
            GenerateGroup(contexts, first, Math.Min(BatchSize, contexts.Count - first), stops, maxTokens, texts);
        return texts;
    }

    /// <summary>One sequence being generated in a slot.</summary>
    private sealed class Generation(int slot, int budget, int prev)
    {
        public int Slot { get; } = slot;
        public int Budget { get; } = budget;
        public int Prev { get; set; } = prev;
        public int Count { get; set; }
        public List<byte> Bytes { get; } = [];
        public string Text { get; set; } = "";
    }

    private void GenerateGroup(IReadOnlyList<string> contexts, int first, int count, IReadOnlyList<string> stops, int maxTokens, string[] texts)
    {
        List<int> tokens = [], lengths = [];
        List<KvCache> caches = [];
        List<Generation> running = [];
        for (int k = 0; k < count; k++)
        {
            int[] ctx = Tokenizer.Encode(contexts[first + k], AddBos);
            if (ctx.Length == 0) ctx = [EncodedPair.PrefixToken(Tokenizer)];
            int room = Math.Max(1, MaxLength - maxTokens);
            if (ctx.Length > room) ctx = ctx[^room..];
            NaiveTokens += ctx.Length;
            // At least the last prompt token is fed, for the logits of the first generated token.
            int keep = ReusePrefix ? Math.Min(CommonPrefix(_cached[k], ctx), ctx.Length - 1) : 0;
            Rewind(k, keep);
            tokens.AddRange(ctx.AsSpan(keep));
            lengths.Add(ctx.Length - keep);
            caches.Add(_caches[k]);
            running.Add(new Generation(k, Math.Min(maxTokens, MaxLength - ctx.Length), ctx[^1]));
        }
        List<int> logitRows = [];
        for (int k = 0, row = 0; k < count; k++) logitRows.Add((row += lengths[k]) - 1);
        FeedRows(tokens, lengths, caches, logitRows);

        while (running.Count > 0)
        {
            List<Generation> next = [];
            tokens.Clear();
            for (int j = 0; j < running.Count; j++)
            {
                Generation g = running[j];
                int token = Argmax(_logits.AsSpan(j * _vocab, _vocab));
                if (Tokenizer.EosIds.Contains(token)) continue;
                g.Bytes.AddRange(Tokenizer.TokenBytes(token, g.Prev));
                g.Prev = token;
                g.Count++;
                g.Text = System.Text.Encoding.UTF8.GetString(g.Bytes.ToArray());
                if (stops.Any(s => s.Length > 0 && g.Text.Contains(s, StringComparison.Ordinal))) continue;
                if (g.Count == g.Budget || _caches[g.Slot].Length >= MaxLength) continue;
                next.Add(g);
                tokens.Add(token);
            }
            foreach (Generation g in running.Except(next)) texts[first + g.Slot] = CutAtStops(g.Text, stops);
            running = next;
            if (running.Count == 0) break;
            lengths.Clear();
            caches.Clear();
            logitRows.Clear();
            for (int j = 0; j < running.Count; j++)
            {
                lengths.Add(1);
                caches.Add(_caches[running[j].Slot]);
                logitRows.Add(j);
            }
            FeedRows(tokens, lengths, caches, logitRows);
        }
    }

    /// <summary>Feeds rows of several slots in one pass and records what each slot now holds.</summary>
    private void FeedRows(List<int> tokens, List<int> lengths, List<KvCache> caches, List<int> logitRows)
    {
        EnsureLogits(logitRows.Count);
        _model.ForwardSegments(CollectionsMarshal.AsSpan(tokens), CollectionsMarshal.AsSpan(lengths), [.. caches], CollectionsMarshal.AsSpan(logitRows), _logits);
        ForwardTokens += tokens.Count;
        for (int k = 0, at = 0; k < lengths.Count; at += lengths[k], k++)
            _cached[Array.IndexOf(_caches, caches[k])].AddRange(tokens.GetRange(at, lengths[k]));
    }

    /// <summary>The text before the first occurrence of each stop string, applied in order, as the harness cuts.</summary>
    private static string CutAtStops(string text, IReadOnlyList<string> stops)
    {
        foreach (string s in stops)
            if (s.Length > 0)
            {
                int at = text.IndexOf(s, StringComparison.Ordinal);
                if (at >= 0) text = text[..at];
            }
        return text;
    }

    /// <summary>What one request feeds: its model input, where scoring starts, and which slot prefix it keeps.</summary>
    private sealed record Plan(int Request, int Slot, int[] Input, int ScoreFrom, int[] Targets)
    {
        public int Keep { get; set; }
        public int Source { get; set; } = -1;
    }

    private void ScoreGroup(IReadOnlyList<EncodedPair> requests, int first, int count, LoglikelihoodResult[] results)
    {
        List<Plan> plans = [];
        for (int k = 0; k < count; k++)
        {
            EncodedPair p = requests[first + k];
            int total = p.Context.Length + p.Continuation.Length;
            int start = Math.Max(0, total - (MaxLength + 1));
            int[] whole = [.. p.Context, .. p.Continuation];
            int[] input = whole[start..(total - 1)];
            int scored = Math.Min(p.Continuation.Length, input.Length);
            if (scored == 0)
            {
                results[first + k] = new LoglikelihoodResult(0, true);
                continue;
            }
            NaiveTokens += input.Length;
            Plan plan = new(first + k, k, input, input.Length - scored, p.Continuation[^scored..]);
            plan.Keep = ReusePrefix ? Math.Min(CommonPrefix(_cached[k], input), plan.ScoreFrom) : 0;
            // A longer prefix computed by an earlier request of this batch is copied rather than recomputed.
            if (ReusePrefix)
                foreach (Plan leader in plans)
                {
                    if (leader.Source >= 0) continue;
                    int share = Math.Min(CommonPrefix(leader.Input, input), plan.ScoreFrom);
                    if (share > plan.Keep)
                    {
                        plan.Keep = share;
                        plan.Source = leader.Slot;
                    }
                }
            plans.Add(plan);
        }
        double[] sums = new double[results.Length];
        bool[] greedy = new bool[results.Length];
        Array.Fill(greedy, true);
        foreach (Plan p in plans)
            if (p.Source < 0) Rewind(p.Slot, p.Keep);
        Feed([.. plans.Where(p => p.Source < 0)], sums, greedy);
        foreach (Plan p in plans.Where(p => p.Source >= 0))
        {
            _caches[p.Slot].CopyPrefixFrom(_caches[p.Source], p.Keep);
            _cached[p.Slot].Clear();
            _cached[p.Slot].AddRange(p.Input.AsSpan(0, p.Keep));
        }
        Feed([.. plans.Where(p => p.Source >= 0)], sums, greedy);
        foreach (Plan p in plans) results[p.Request] = new LoglikelihoodResult(sums[p.Request], greedy[p.Request]);
    }

    /// <summary>
    /// Runs each plan's input beyond its kept prefix through the model, all plans together in passes of up to
    /// <see cref="RowsPerPass"/> rows, and adds the log-probabilities of the scored rows in row order.
    /// </summary>
    private void Feed(List<Plan> plans, double[] sums, bool[] greedy)
    {
        // (plan, input position) of every row to compute, plans one after another.
        List<(Plan Plan, int At)> rows = [];
        foreach (Plan p in plans)
            for (int at = p.Keep; at < p.Input.Length; at++) rows.Add((p, at));
        List<int> tokens = [], lengths = [], logitRows = [];
        List<KvCache> caches = [];
        for (int from = 0; from < rows.Count; from += RowsPerPass)
        {
            int n = Math.Min(RowsPerPass, rows.Count - from);
            tokens.Clear();
            lengths.Clear();
            logitRows.Clear();
            caches.Clear();
            for (int r = 0; r < n; r++)
            {
                (Plan p, int at) = rows[from + r];
                if (r == 0 || rows[from + r - 1].Plan != p)
                {
                    lengths.Add(0);
                    caches.Add(_caches[p.Slot]);
                }
                lengths[^1]++;
                tokens.Add(p.Input[at]);
                if (at >= p.ScoreFrom) logitRows.Add(r);
            }
            EnsureLogits(logitRows.Count);
            _model.ForwardSegments(CollectionsMarshal.AsSpan(tokens), CollectionsMarshal.AsSpan(lengths), [.. caches], CollectionsMarshal.AsSpan(logitRows), _logits);
            ForwardTokens += n;
            for (int r = 0; r < n; r++)
            {
                (Plan p, int at) = rows[from + r];
                _cached[p.Slot].Add(p.Input[at]);
            }
            for (int j = 0; j < logitRows.Count; j++)
            {
                (Plan p, int at) = rows[from + logitRows[j]];
                (double lp, bool g) = LogProbs.Of(_logits.AsSpan(j * _vocab, _vocab), p.Targets[at - p.ScoreFrom]);
                sums[p.Request] += lp;
                greedy[p.Request] &= g;
            }
        }
    }

    private void Rewind(int slot, int length)
    {
        _caches[slot].Truncate(length);
        _cached[slot].RemoveRange(length, _cached[slot].Count - length);
    }

    private static int CommonPrefix(IReadOnlyList<int> a, ReadOnlySpan<int> b)
    {
        int n = Math.Min(a.Count, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private void EnsureLogits(int rows)
    {
        if (_logits.Length < (long)rows * _vocab) _logits = new float[(long)rows * _vocab];
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        foreach (KvCache c in _caches) c.Dispose();
    }
}

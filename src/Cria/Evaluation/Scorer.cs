using Cria.Generation;
using Cria.Model;
using Cria.Text;

namespace Cria.Evaluation;

/// <summary>
/// The three request types of lm-evaluation-harness on Cria's engine: loglikelihood, loglikelihood_rolling and
/// greedy generate_until. One KV cache is kept between requests: each request reuses the longest prefix it shares
/// with the tokens already cached (the question's context for every choice, an identical few-shot block across
/// questions) and recomputes only the rest. The engine computes every (row, token) in one canonical order, so the
/// scores equal those of a fresh cache per request bit for bit. Not thread-safe: one scorer per sequence.
/// </summary>
public sealed class Scorer : IDisposable
{
    private const int ScoredChunk = 128;

    private readonly LlamaModel _model;
    private readonly KvCache _cache;
    private readonly List<int> _cached = [];
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

    public Scorer(LlamaModel model, ITokenizer tokenizer, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), "the context must hold at least 2 tokens");
        _model = model;
        Tokenizer = tokenizer;
        MaxLength = maxLength;
        _vocab = model.Config.VocabSize;
        _cache = model.CreateCache(maxLength);
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
    public LoglikelihoodResult LoglikelihoodTokens(ReadOnlySpan<int> context, ReadOnlySpan<int> continuation)
    {
        if (continuation.Length == 0) return new LoglikelihoodResult(0, true);
        int total = context.Length + continuation.Length;
        int start = Math.Max(0, total - (MaxLength + 1));
        int[] whole = new int[total];
        context.CopyTo(whole);
        continuation.CopyTo(whole.AsSpan(context.Length));
        ReadOnlySpan<int> input = whole.AsSpan(start, total - start - 1);
        int scored = Math.Min(continuation.Length, input.Length);
        ReadOnlySpan<int> targets = continuation[^scored..];
        return Score(input, input.Length - scored, targets);
    }

    /// <summary>Scores every choice after one context; the context is computed once.</summary>
    public LoglikelihoodResult[] LoglikelihoodChoices(string context, IReadOnlyList<string> continuations)
    {
        LoglikelihoodResult[] r = new LoglikelihoodResult[continuations.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Loglikelihood(context, continuations[i]);
        return r;
    }

    /// <summary>
    /// Log-likelihood of a whole text in the harness's disjoint windows: the first window is conditioned on the
    /// prefix token, each later one on the single token before it, and every token is scored exactly once.
    /// </summary>
    public double LoglikelihoodRolling(string text)
    {
        int[] tokens = Tokenizer.Encode(text, false);
        double sum = 0;
        foreach ((int[] ctx, int[] pred) in RollingWindows.Disjoint(tokens, EncodedPair.PrefixToken(Tokenizer), MaxLength))
            sum += LoglikelihoodTokens(ctx, pred).LogLikelihood;
        return sum;
    }

    /// <summary>
    /// Greedy continuation of <paramref name="context"/> until a stop string, an end-of-sequence token or
    /// <paramref name="maxTokens"/>; the text is cut before the first stop string, as the harness does.
    /// </summary>
    public string GenerateUntil(string context, IReadOnlyList<string> stops, int maxTokens)
    {
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens));
        int[] ctx = Tokenizer.Encode(context, AddBos);
        if (ctx.Length == 0) ctx = [EncodedPair.PrefixToken(Tokenizer)];
        int room = Math.Max(1, MaxLength - maxTokens);
        if (ctx.Length > room) ctx = ctx[^room..];
        maxTokens = Math.Min(maxTokens, MaxLength - ctx.Length);
        Prefill(ctx);
        List<byte> bytes = [];
        int prev = ctx[^1];
        string text = "";
        for (int n = 0; n < maxTokens; n++)
        {
            int next = Argmax(_logits.AsSpan(0, _vocab));
            if (Tokenizer.EosIds.Contains(next)) break;
            bytes.AddRange(Tokenizer.TokenBytes(next, prev));
            prev = next;
            text = System.Text.Encoding.UTF8.GetString(bytes.ToArray());
            if (stops.Any(s => s.Length > 0 && text.Contains(s, StringComparison.Ordinal))) break;
            if (n + 1 == maxTokens || _cache.Length >= MaxLength) break;
            Feed([next]);
        }
        foreach (string s in stops)
            if (s.Length > 0)
            {
                int at = text.IndexOf(s, StringComparison.Ordinal);
                if (at >= 0) text = text[..at];
            }
        return text;
    }

    private LoglikelihoodResult Score(ReadOnlySpan<int> input, int scoreFrom, ReadOnlySpan<int> targets)
    {
        NaiveTokens += input.Length;
        int keep = ReusePrefix ? Math.Min(CommonPrefix(input), scoreFrom) : 0;
        Rewind(keep);
        if (scoreFrom > keep) Feed(input[keep..scoreFrom]);
        double sum = 0;
        bool greedy = true;
        for (int at = scoreFrom; at < input.Length; at += ScoredChunk)
        {
            int n = Math.Min(ScoredChunk, input.Length - at);
            EnsureLogits(n);
            Feed(input.Slice(at, n), allLogits: true);
            for (int j = 0; j < n; j++)
            {
                (double lp, bool g) = LogProbs.Of(_logits.AsSpan(j * _vocab, _vocab), targets[at - scoreFrom + j]);
                sum += lp;
                greedy &= g;
            }
        }
        return new LoglikelihoodResult(sum, greedy);
    }

    private void Prefill(ReadOnlySpan<int> tokens)
    {
        NaiveTokens += tokens.Length;
        int keep = ReusePrefix ? Math.Min(CommonPrefix(tokens), tokens.Length - 1) : 0;
        Rewind(keep);
        Feed(tokens[keep..]);
    }

    private void Feed(ReadOnlySpan<int> tokens, bool allLogits = false)
    {
        _model.Forward(tokens, _cache, _logits, allLogits);
        ForwardTokens += tokens.Length;
        foreach (int t in tokens) _cached.Add(t);
    }

    private void Rewind(int length)
    {
        _cache.Truncate(length);
        _cached.RemoveRange(length, _cached.Count - length);
    }

    private int CommonPrefix(ReadOnlySpan<int> tokens)
    {
        int n = Math.Min(tokens.Length, _cached.Count), i = 0;
        while (i < n && _cached[i] == tokens[i]) i++;
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

    public void Dispose() => _cache.Dispose();
}

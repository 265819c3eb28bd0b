using System.Diagnostics;
using System.Text;
using Cria.Model;
using Cria.Text;

namespace Cria.Generation;

/// <summary>
/// Runs the prompt through the model and then samples one token at a time, streaming text as it forms
/// complete UTF-8 characters. The KV cache is kept, so a chat can continue from where it stopped.
/// </summary>
public sealed class Generator
{
    private readonly LlamaModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly float[] _logits;

    public KvCache Cache { get; }

    /// <summary>Every token fed to the model so far (the cache's contents).</summary>
    public List<int> History { get; } = new();

    public Generator(LlamaModel model, ITokenizer tokenizer, KvCache cache)
    {
        _model = model;
        _tokenizer = tokenizer;
        Cache = cache;
        _logits = new float[model.Config.VocabSize];
    }

    public IEnumerable<GeneratedToken> Generate(GenerationRequest request, GenerationStats stats, CancellationToken cancel = default)
    {
        if (request.MaxNewTokens < 0) throw new ArgumentException("max new tokens must be ≥ 0");
        int[] prompt = request.PromptIds;
        if (prompt.Length == 0) throw new ArgumentException("the prompt has no tokens (not even BOS): nothing to condition on");
        if (Cache.Length + prompt.Length > Cache.Capacity)
            throw new ArgumentException($"the prompt ({prompt.Length} tokens after {Cache.Length} in context) does not fit the context of {Cache.Capacity} tokens");

        Sampler sampler = new(request.Sampling);
        StopMatcher stops = new(request.StopStrings);
        Decoder utf8 = Encoding.UTF8.GetDecoder();
        char[] chars = new char[64];

        Stopwatch sw = Stopwatch.StartNew();
        _model.Forward(prompt, Cache, _logits);
        History.AddRange(prompt);
        stats.PromptTokens += prompt.Length;
        stats.PromptTime += sw.Elapsed;
        sw.Restart();

        int previous = prompt[^1];
        stats.FinishReason = FinishReason.Length;
        for (int produced = 0; produced < request.MaxNewTokens; produced++)
        {
            if (cancel.IsCancellationRequested)
            {
                stats.FinishReason = FinishReason.Cancelled;
                break;
            }
            int next = sampler.Sample(_logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(History));
            if ((request.StopAtEos && _tokenizer.EosIds.Contains(next)) || request.StopIds.Contains(next))
            {
                stats.FinishReason = FinishReason.EndOfSequence;
                break;
            }
            stats.GeneratedTokens++;
            stats.GeneratedIds.Add(next);

            byte[] bytes = _tokenizer.TokenBytes(next, previous);
            int needed = utf8.GetCharCount(bytes, flush: false);
            if (chars.Length < needed) chars = new char[needed * 2];
            int n = utf8.GetChars(bytes, 0, bytes.Length, chars, 0, flush: false);
            string text = stops.Push(new string(chars, 0, n));
            previous = next;

            bool last = produced + 1 == request.MaxNewTokens;
            bool full = Cache.Length >= Cache.Capacity;
            if (!stops.Stopped && !last && !full)
            {
                _model.Forward([next], Cache, _logits);
                History.Add(next);
            }
            else if (!stops.Stopped)
            {
                // The last token is not fed: nothing would read its logits. Keep History equal to the cache.
                text += stops.Flush();
            }
            stats.GenerationTime = sw.Elapsed;
            yield return new GeneratedToken(next, text);
            if (stops.Stopped)
            {
                stats.FinishReason = FinishReason.StopString;
                break;
            }
            if (full && !last)
            {
                stats.FinishReason = FinishReason.ContextFull;
                break;
            }
        }
        stats.GenerationTime = sw.Elapsed;
        string tail = stops.Flush();
        if (tail.Length > 0) yield return new GeneratedToken(-1, tail);
    }
}

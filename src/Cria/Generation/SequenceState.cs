using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Cria.Text;

namespace Cria.Generation;

/// <summary>
/// One request while it holds a slot of the <see cref="BatchScheduler"/>: its cache, logits, sampler, stop
/// matcher and UTF-8 decoder. <see cref="Step"/> is the body of <see cref="Generator"/>'s loop for one token,
/// so a scheduled sequence produces exactly what a Generator would for the same request.
/// </summary>
internal sealed class SequenceState
{
    private readonly GenerationRequest _request;
    private readonly ITokenizer _tokenizer;
    private readonly Sampler _sampler;
    private readonly StopMatcher _stops;
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private readonly List<int> _history = new();
    private readonly Stopwatch _clock = new();
    private char[] _chars = new char[64];
    private int _previous;
    private int _produced;

    public ScheduledGeneration Handle { get; }
    public KvCache Cache { get; }
    public float[] Logits { get; }

    /// <summary>The token to feed in the next batched forward, or -1 when the sequence has finished.</summary>
    public int NextInput { get; private set; } = -1;

    /// <summary>Whether the last <see cref="Step"/> produced a token.</summary>
    public bool Emitted { get; private set; }

    public SequenceState(ScheduledGeneration handle, KvCache cache, ITokenizer tokenizer, int vocab)
    {
        Handle = handle;
        _request = handle.Request;
        Cache = cache;
        _tokenizer = tokenizer;
        Logits = new float[vocab];
        _sampler = new Sampler(_request.Sampling);
        _stops = new StopMatcher(_request.StopStrings);
    }

    private GenerationStats Stats => Handle.Stats;
    private ChannelWriter<GeneratedToken> Output => Handle.Writer;

    /// <summary>Called after the prompt went through the model; returns false when nothing is to be generated (finished).</summary>
    public bool Prefilled(TimeSpan elapsed)
    {
        int[] prompt = _request.PromptIds;
        _history.AddRange(prompt);
        Stats.PromptTokens += prompt.Length;
        Stats.PromptTime += elapsed;
        Stats.FinishReason = FinishReason.Length;
        _previous = prompt[^1];
        _clock.Start();
        if (_request.MaxNewTokens == 0)
        {
            Finish(FinishReason.Length);
            return false;
        }
        return true;
    }

    /// <summary>Samples one token from <see cref="Logits"/> and emits its text; sets <see cref="NextInput"/> (-1: finished).</summary>
    public void Step()
    {
        NextInput = -1;
        Emitted = false;
        if (Handle.Cancel.IsCancellationRequested)
        {
            Finish(FinishReason.Cancelled);
            return;
        }
        int next = _sampler.Sample(Logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_history));
        if ((_request.StopAtEos && _tokenizer.EosIds.Contains(next)) || _request.StopIds.Contains(next))
        {
            Finish(FinishReason.EndOfSequence);
            return;
        }
        Stats.GeneratedTokens++;
        Stats.GeneratedIds.Add(next);
        Emitted = true;

        byte[] bytes = _tokenizer.TokenBytes(next, _previous);
        int needed = _utf8.GetCharCount(bytes, flush: false);
        if (_chars.Length < needed) _chars = new char[needed * 2];
        int n = _utf8.GetChars(bytes, 0, bytes.Length, _chars, 0, flush: false);
        string text = _stops.Push(new string(_chars, 0, n));
        _previous = next;
        _produced++;

        bool last = _produced == _request.MaxNewTokens;
        bool full = Cache.Length >= Cache.Capacity;
        if (!_stops.Stopped && !last && !full)
        {
            NextInput = next;
            _history.Add(next);
        }
        else if (!_stops.Stopped)
        {
            text += _stops.Flush();
        }
        Stats.GenerationTime = _clock.Elapsed;
        Output.TryWrite(new GeneratedToken(next, text));
        if (_stops.Stopped) Finish(FinishReason.StopString);
        else if (full && !last) Finish(FinishReason.ContextFull);
        else if (last) Finish(FinishReason.Length);
    }

    public void Finish(FinishReason reason)
    {
        NextInput = -1;
        Stats.FinishReason = reason;
        Stats.GenerationTime = _clock.Elapsed;
        string tail = _stops.Flush();
        if (tail.Length > 0) Output.TryWrite(new GeneratedToken(-1, tail));
        // The scheduler completes the handle after freeing the slot, so a caller that sees completion sees the slot free.
    }
}

using System.Diagnostics;
using Cria.Model;
using Cria.Text;

namespace Cria.Generation;

/// <summary>
/// Continuous batching over a fixed number of slots, each with its own <see cref="KvCache"/>. One scheduler
/// thread owns the model: it admits waiting requests into free slots (prefilling their prompts), then runs
/// the next decode step of every active sequence as one <see cref="LlamaModel.ForwardBatch"/>. Sequences
/// join and leave between steps, so a short answer never waits for a long one. Requests beyond the slots
/// wait in a bounded queue; beyond that <see cref="Submit"/> throws <see cref="QueueFullException"/>.
/// </summary>
public sealed class BatchScheduler : IDisposable
{
    private readonly LlamaModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly KvCache[] _caches;
    private readonly SequenceState?[] _slots;
    private readonly Queue<ScheduledGeneration> _waiting = new();
    private readonly object _lock = new();
    private readonly Thread _thread;
    private readonly Queue<(long Ticks, int Tokens)> _recent = new();
    private float[] _batchLogits = [];
    private readonly int[] _stepping;
    private readonly Action<int> _stepItem;

    /// <summary>Sequences in a step from which their per-token work runs on the worker pool.</summary>
    private const int ParallelStepMin = 8;
    private bool _stopping;
    private long _prefillTicks, _sampleTicks, _forwardTicks;
    private long _submitted, _rejected, _cancelled, _completed, _promptTokens, _generatedTokens, _steps, _batchedTokens;
    private int _active;

    public BatchScheduler(LlamaModel model, ITokenizer tokenizer, int slots, int contextLength, int queueLimit)
    {
        if (slots < 1 || slots > 256) throw new ArgumentException($"the number of slots must be between 1 and 256, got {slots}");
        if (queueLimit < 0) throw new ArgumentException($"the queue limit must be ≥ 0, got {queueLimit}");
        _model = model;
        _tokenizer = tokenizer;
        ContextLength = contextLength;
        QueueLimit = queueLimit;
        _caches = new KvCache[slots];
        for (int i = 0; i < slots; i++) _caches[i] = model.CreateCache(contextLength);
        _slots = new SequenceState?[slots];
        _stepping = new int[slots];
        _stepItem = j => _slots[_stepping[j]]!.Step();
        _thread = new Thread(Run) { IsBackground = true, Name = "cria-scheduler" };
        _thread.Start();
    }

    public int Slots => _slots.Length;
    public int ContextLength { get; }
    public int QueueLimit { get; }
    public int VocabSize => _model.Config.VocabSize;

    public int ActiveSlots => Volatile.Read(ref _active);

    public int QueueLength
    {
        get { lock (_lock) return _waiting.Count; }
    }

    public SchedulerCounters Counters => new(
        Interlocked.Read(ref _submitted), Interlocked.Read(ref _rejected), Interlocked.Read(ref _completed),
        Interlocked.Read(ref _cancelled), Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generatedTokens),
        Interlocked.Read(ref _steps), Interlocked.Read(ref _batchedTokens), RecentTokensPerSecond(),
        Seconds(ref _prefillTicks), Seconds(ref _sampleTicks), Seconds(ref _forwardTicks));

    private static double Seconds(ref long ticks) => Interlocked.Read(ref ticks) / (double)Stopwatch.Frequency;

    /// <summary>
    /// Queues <paramref name="request"/>. The prompt must fit the context (checked here, so the caller can
    /// answer with a clear error before anything runs).
    /// </summary>
    public ScheduledGeneration Submit(GenerationRequest request, CancellationToken cancel = default)
    {
        if (request.PromptIds.Length == 0) throw new ArgumentException("the prompt has no tokens");
        if (request.PromptIds.Length > ContextLength)
            throw new ArgumentException($"the prompt ({request.PromptIds.Length} tokens) does not fit the context of {ContextLength} tokens");
        if (request.MaxNewTokens < 0) throw new ArgumentException("max new tokens must be ≥ 0");
        foreach (int id in request.PromptIds)
            if ((uint)id >= (uint)VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary (0..{VocabSize - 1})");
        request.Sampling.Validate();

        ScheduledGeneration g = new(request, cancel);
        lock (_lock)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(BatchScheduler));
            bool slotFree = _active + _waiting.Count < _slots.Length;
            if (!slotFree && _waiting.Count - FreeSlotCount() >= QueueLimit)
            {
                Interlocked.Increment(ref _rejected);
                throw new QueueFullException(QueueLimit);
            }
            _waiting.Enqueue(g);
            Interlocked.Increment(ref _submitted);
            Monitor.Pulse(_lock);
        }
        return g;
    }

    private int FreeSlotCount() => _slots.Length - _active;

    private void Run()
    {
        List<ScheduledGeneration> admitted = new();
        while (true)
        {
            admitted.Clear();
            lock (_lock)
            {
                while (!_stopping && _active == 0 && _waiting.Count == 0) Monitor.Wait(_lock);
                if (_stopping) break;
                while (_waiting.Count > 0 && _active + admitted.Count < _slots.Length) admitted.Add(_waiting.Dequeue());
            }
            try
            {
                foreach (ScheduledGeneration g in admitted) Admit(g);
                DecodeStep();
            }
            catch (Exception e)
            {
                // An engine failure ends every sequence in flight with the error rather than leaving clients hanging.
                Exception error = e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
                for (int i = 0; i < _slots.Length; i++)
                    if (_slots[i] is SequenceState s)
                    {
                        Release(i);
                        s.Handle.Complete(error);
                    }
            }
        }
        lock (_lock)
            while (_waiting.Count > 0) _waiting.Dequeue().Complete(new ObjectDisposedException(nameof(BatchScheduler)));
        for (int i = 0; i < _slots.Length; i++)
            if (_slots[i] is SequenceState s)
            {
                Release(i);
                s.Handle.Complete(new ObjectDisposedException(nameof(BatchScheduler)));
            }
    }

    private void Admit(ScheduledGeneration g)
    {
        if (g.Cancel.IsCancellationRequested)
        {
            g.Stats.FinishReason = FinishReason.Cancelled;
            Interlocked.Increment(ref _cancelled);
            g.Complete(null);
            return;
        }
        int slot = Array.IndexOf(_slots, null);
        KvCache cache = _caches[slot];
        cache.Truncate(0);
        SequenceState s = new(g, cache, _tokenizer, VocabSize);
        _slots[slot] = s;
        Interlocked.Increment(ref _active);
        try
        {
            Stopwatch sw = Stopwatch.StartNew();
            _model.Forward(g.Request.PromptIds, cache, s.Logits);
            Interlocked.Add(ref _promptTokens, g.Request.PromptIds.Length);
            Interlocked.Add(ref _prefillTicks, (long)(sw.Elapsed.TotalSeconds * Stopwatch.Frequency));
            if (!s.Prefilled(sw.Elapsed))
            {
                Release(slot);
                g.Complete(null);
            }
        }
        catch (Exception e)
        {
            Release(slot);
            g.Complete(e);
        }
    }

    private void DecodeStep()
    {
        List<int> inputs = new(_slots.Length);
        List<KvCache> caches = new(_slots.Length);
        List<int> slotOf = new(_slots.Length);
        int sampled = 0;
        long t0 = Stopwatch.GetTimestamp();
        // Sampling, detokenizing and stop matching are independent per sequence: spread over the pool when there is
        // enough of it to pay for waking a helper. Each sequence is stepped by one thread, so nothing depends on which.
        int stepping = 0;
        for (int i = 0; i < _slots.Length; i++)
            if (_slots[i] != null) _stepping[stepping++] = i;
        if (stepping >= ParallelStepMin) _model.Pool.For(stepping, _stepItem);
        else for (int j = 0; j < stepping; j++) _slots[_stepping[j]]!.Step();
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is not SequenceState s) continue;
            if (s.Emitted) sampled++;
            if (s.NextInput >= 0)
            {
                inputs.Add(s.NextInput);
                caches.Add(s.Cache);
                slotOf.Add(i);
            }
            else
            {
                // Freed before counted, so whoever sees the cancellation counted also sees the slot free.
                Release(i);
                if (s.Handle.Stats.FinishReason == FinishReason.Cancelled) Interlocked.Increment(ref _cancelled);
                s.Handle.Complete(null);
            }
        }
        if (sampled > 0) RecordTokens(sampled);
        long t1 = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _sampleTicks, t1 - t0);
        if (inputs.Count == 0) return;

        int vocab = VocabSize;
        if (_batchLogits.Length < inputs.Count * vocab) _batchLogits = new float[_slots.Length * vocab];
        _model.ForwardBatch(inputs.ToArray(), caches.ToArray(), _batchLogits);
        for (int j = 0; j < slotOf.Count; j++)
            _batchLogits.AsSpan(j * vocab, vocab).CopyTo(_slots[slotOf[j]]!.Logits);
        Interlocked.Increment(ref _steps);
        Interlocked.Add(ref _batchedTokens, inputs.Count);
        Interlocked.Add(ref _forwardTicks, Stopwatch.GetTimestamp() - t1);
    }

    private void Release(int slot)
    {
        _slots[slot] = null;
        Interlocked.Increment(ref _completed);
        Interlocked.Decrement(ref _active);
    }

    private void RecordTokens(int count)
    {
        Interlocked.Add(ref _generatedTokens, count);
        lock (_recent)
        {
            long now = Stopwatch.GetTimestamp();
            _recent.Enqueue((now, count));
            while (_recent.Count > 0 && now - _recent.Peek().Ticks > Window) _recent.Dequeue();
        }
    }

    private static readonly long Window = Stopwatch.Frequency * 10;

    /// <summary>Generated tokens per second over the last ten seconds (0 when idle that long).</summary>
    private double RecentTokensPerSecond()
    {
        lock (_recent)
        {
            long now = Stopwatch.GetTimestamp();
            while (_recent.Count > 0 && now - _recent.Peek().Ticks > Window) _recent.Dequeue();
            if (_recent.Count == 0) return 0;
            long tokens = 0;
            foreach (var r in _recent) tokens += r.Tokens;
            double seconds = Math.Max((now - _recent.Peek().Ticks) / (double)Stopwatch.Frequency, 1e-3);
            return _recent.Count == 1 ? 0 : tokens / seconds;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_lock);
        }
        _thread.Join();
        foreach (KvCache c in _caches) c.Dispose();
    }
}

/// <summary>Totals since the scheduler started, for /metrics.</summary>
public readonly record struct SchedulerCounters(
    long Submitted, long Rejected, long Completed, long Cancelled, long PromptTokens, long GeneratedTokens,
    long DecodeSteps, long BatchedTokens, double TokensPerSecond,
    double PrefillSeconds, double SampleSeconds, double ForwardSeconds);

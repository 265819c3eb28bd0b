using System.Diagnostics;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;

namespace Cria.Bench;

internal sealed class CriaSubject : ISpeedSubject
{
    private readonly LoadedModel _loaded;
    private readonly LlamaModel _model;
    private readonly KvCache _cache;
    private readonly float[] _logits;

    public CriaSubject(LoadedModel loaded, int context)
    {
        _loaded = loaded;
        _model = new LlamaModel(loaded);
        if (context > loaded.Config.MaxSeqLen)
            throw new ArgumentException($"{context} positions exceed the model's context of {loaded.Config.MaxSeqLen}");
        _cache = _model.CreateCache(context);
        _logits = new float[loaded.Config.VocabSize];
    }

    public string Name => "Cria";

    public LlamaModel Model => _model;

    public double Prefill(int[] prompt)
    {
        _cache.Truncate(0);
        long start = Stopwatch.GetTimestamp();
        _model.Forward(prompt, _cache, _logits);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Generate(int[] tokens, int firstPosition)
    {
        if (_cache.Length != firstPosition) throw new InvalidOperationException("generation must follow the prompt");
        long start = Stopwatch.GetTimestamp();
        foreach (int t in tokens)
        {
            _one[0] = t;
            _model.Forward(_one, _cache, _logits);
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private readonly int[] _one = new int[1];

    /// <summary>
    /// Managed bytes this thread allocates per decoded token, and gen-0 collections, over the generation after its
    /// first token (the engine's buffers and the JIT have settled by then).
    /// </summary>
    public (double BytesPerToken, int Collections) DecodeAllocation(int[] prompt, int[] tokens)
    {
        Prefill(prompt);
        _one[0] = tokens[0];
        _model.Forward(_one, _cache, _logits);
        int gcs = GC.CollectionCount(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1; i < tokens.Length; i++)
        {
            _one[0] = tokens[i];
            _model.Forward(_one, _cache, _logits);
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        return (bytes / (double)Math.Max(1, tokens.Length - 1), GC.CollectionCount(0) - gcs);
    }

    public float[] LastLogits() => (float[])_logits.Clone();

    public void Dispose()
    {
        _cache.Dispose();
        _model.Dispose();
        _loaded.Dispose();
    }
}

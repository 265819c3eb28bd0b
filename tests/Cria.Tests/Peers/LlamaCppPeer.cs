using LLama;
using LLama.Common;
using LLama.Native;

namespace Cria.Tests.Peers;

/// <summary>
/// llama.cpp, through LLamaSharp's low-level API, set up to compute what Cria computes: CPU only, an F32 KV cache
/// and no flash attention (its defaults, an F16 cache and flash attention, move logits by ~1e-2).
/// </summary>
internal sealed class LlamaCppPeer : IDisposable
{
    private static readonly Lazy<string?> LoadFailure = new(Load);

    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    public int VocabSize { get; }

    private LlamaCppPeer(LLamaWeights weights, LLamaContext context)
    {
        _weights = weights;
        _context = context;
        VocabSize = weights.Vocab.Count;
    }

    private static string? Load()
    {
        try
        {
            // The load-time log is noise in test output; failures still arrive as exceptions.
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            NativeApi.llama_empty_call();
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {(e.InnerException ?? e).Message}";
        }
    }

    /// <summary>Opens <paramref name="path"/>; skips the calling test when llama.cpp's native libraries do not load here.</summary>
    public static LlamaCppPeer Open(string path, int context)
    {
        Skip.If(LoadFailure.Value != null, $"llama.cpp peer unavailable: {LoadFailure.Value}");
        ModelParams p = new(path)
        {
            ContextSize = (uint)context,
            BatchSize = (uint)context,
            UBatchSize = (uint)context,
            Threads = 2,
            BatchThreads = 2,
            GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        LLamaWeights weights = LLamaWeights.LoadFromFile(p);
        try
        {
            return new LlamaCppPeer(weights, weights.CreateContext(p));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>Feeds <paramref name="tokens"/> in one batch from an empty context; the logits of every position, [tokens][vocab].</summary>
    public float[] AllLogits(int[] tokens)
    {
        _context.NativeHandle.MemoryClear(true);
        LLamaBatch batch = new();
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, true);
        Decode(batch);
        float[] logits = new float[tokens.Length * VocabSize];
        for (int i = 0; i < tokens.Length; i++) _context.NativeHandle.GetLogitsIth(i).CopyTo(logits.AsSpan(i * VocabSize, VocabSize));
        return logits;
    }

    /// <summary>Feeds the prompt, then <paramref name="count"/> times the arg-max token, one decode each.</summary>
    public int[] Greedy(int[] prompt, int count)
    {
        _context.NativeHandle.MemoryClear(true);
        LLamaBatch batch = new();
        for (int i = 0; i < prompt.Length; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        Decode(batch);
        int[] generated = new int[count];
        for (int g = 0; g < count; g++)
        {
            generated[g] = LogitsComparison.ArgMax(_context.NativeHandle.GetLogitsIth(batch.TokenCount - 1));
            batch.Clear();
            batch.Add(generated[g], prompt.Length + g, LLamaSeqId.Zero, true);
            Decode(batch);
        }
        return generated;
    }

    /// <summary>llama.cpp's own tokenization of <paramref name="text"/> with the vocabulary the file carries.</summary>
    public int[] Tokenize(string text, bool addBos, bool special) =>
        _context.Tokenize(text, addBos, special).Select(t => (int)t).ToArray();

    private void Decode(LLamaBatch batch)
    {
        DecodeResult r = _context.NativeHandle.Decode(batch);
        if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}

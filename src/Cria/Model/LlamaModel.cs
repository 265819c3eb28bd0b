using Cria.Generation;
using Cria.Tensors;

namespace Cria.Model;

/// <summary>
/// The LLaMA decoder forward pass: embedding → N × (RMSNorm, GQA attention with RoPE, residual,
/// RMSNorm, SwiGLU MLP, residual) → RMSNorm → logits. A batch of tokens is processed as matrix-matrix
/// work (prompt prefill); one token as matrix-vector work (decoding).
/// </summary>
public sealed unsafe partial class LlamaModel : IDisposable
{
    private readonly LlamaWeights _w;
    private readonly Rope _rope;
    private ForwardBuffers? _buffers;
    private KvCache[] _rowCaches = [];
    private int[] _rowPositions = [];
    private readonly Action<int> _attentionItem;
    private readonly float _attentionScale;
    private int _attentionLayer;
    private ForwardBuffers? _attentionBuffers;

    public LlamaConfig Config { get; }
    public WorkerPool Pool { get; set; } = WorkerPool.Shared;

    /// <summary>Largest number of tokens run through the layers at once; longer prompts go in chunks.</summary>
    public int MaxBatch { get; init; } = 256;

    public LlamaModel(LlamaConfig config, LlamaWeights weights)
    {
        Config = config;
        _w = weights;
        _rope = new Rope(config, weights.RopeFreqFactors);
        _attentionScale = 1f / MathF.Sqrt(config.HeadDim);
        _attentionItem = AttentionItem;
    }

    public LlamaModel(LoadedModel model) : this(model.Config, model.Weights) { }

    /// <summary>A cache for <paramref name="contextLength"/> positions (default: the trained context).</summary>
    public KvCache CreateCache(int? contextLength = null)
    {
        int ctx = contextLength ?? Config.MaxSeqLen;
        if (ctx < 1 || ctx > 1 << 24) throw new ArgumentOutOfRangeException(nameof(contextLength), $"context length {ctx} is out of range");
        return new KvCache(Config.Layers, ctx, Config.KvHeads, Config.HeadDim);
    }

    /// <summary>
    /// Feeds <paramref name="tokens"/> at the positions following those already in <paramref name="cache"/>.
    /// Writes the logits of the last token to <paramref name="logits"/> (length vocab), or with
    /// <paramref name="allLogits"/> the logits of every token ([tokens.Length][vocab]).
    /// </summary>
    public void Forward(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, bool allLogits = false)
    {
        int vocab = Config.VocabSize;
        if (tokens.Length == 0) throw new ArgumentException("no tokens to feed", nameof(tokens));
        if (logits.Length < (allLogits ? (long)tokens.Length * vocab : vocab)) throw new ArgumentException("logits buffer is too small", nameof(logits));
        if (cache.Length + tokens.Length > cache.Capacity)
            throw new InvalidOperationException($"context is full: {cache.Length} + {tokens.Length} tokens exceed the context of {cache.Capacity}");
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {t} is outside the vocabulary (0..{vocab - 1})");

        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            bool last = start + n == tokens.Length;
            Span<float> chunkLogits = allLogits ? logits.Slice(start * vocab, n * vocab) : (last ? logits[..vocab] : default);
            ForwardChunk(tokens.Slice(start, n), cache, chunkLogits, allLogits);
        }
    }

    private void ForwardChunk(ReadOnlySpan<int> tokens, KvCache cache, Span<float> logits, bool allLogits)
    {
        int T = tokens.Length;
        EnsureRows(T);
        for (int t = 0; t < T; t++)
        {
            _rowCaches[t] = cache;
            _rowPositions[t] = cache.Length + t;
        }
        RunLayers(tokens);
        cache.Advance(T);
        if (!logits.IsEmpty) WriteLogits(allLogits ? 0 : T - 1, T, logits);
    }

    private void EnsureRows(int rows)
    {
        if (_rowCaches.Length < rows)
        {
            _rowCaches = new KvCache[rows];
            _rowPositions = new int[rows];
        }
        if (_buffers == null || _buffers.Capacity < rows)
        {
            _buffers?.Dispose();
            _buffers = new ForwardBuffers(Config, Math.Max(rows, Math.Min(MaxBatch, 16)));
        }
    }

    /// <summary>
    /// Runs every layer over rows of tokens; row t sits at position <c>_rowPositions[t]</c> of cache
    /// <c>_rowCaches[t]</c>. A prompt chunk is rows of one cache at consecutive positions; a batched decode step
    /// is one row per sequence. The same arithmetic serves both, so a token's result does not depend on which.
    /// </summary>
    private void RunLayers(ReadOnlySpan<int> tokens)
    {
        LlamaConfig c = Config;
        int T = tokens.Length, dim = c.Dim;
        ForwardBuffers b = _buffers!;
        int pairs = _rope.Pairs;
        for (int t = 0; t < T; t++)
        {
            _w.TokenEmbedding.ReadRow(tokens[t], new Span<float>(b.X + (long)t * dim, dim));
            _rope.Angles(_rowPositions[t], b.Cos + t * pairs, b.Sin + t * pairs);
        }

        for (int l = 0; l < c.Layers; l++)
        {
            LayerWeights lw = _w.Layers[l];
            for (int t = 0; t < T; t++) Kernels.RmsNorm(b.Xb + (long)t * dim, b.X + (long)t * dim, lw.AttnNorm, dim, c.NormEps);
            // q, k and v read the same normed input: one pass over the pool, one rounding of the input to int8.
            MatMul.Forward(lw.Wq, b.Q, lw.Wk, b.K, lw.Wv, b.V, b.Xb, T, Pool);
            if (lw.Bq != null) AddBias(b.Q, lw.Bq, T);
            if (lw.Bk != null) AddBias(b.K, lw.Bk, T);
            if (lw.Bv != null) AddBias(b.V, lw.Bv, T);

            for (int t = 0; t < T; t++)
            {
                float* cos = b.Cos + t * pairs, sin = b.Sin + t * pairs;
                for (int h = 0; h < c.Heads; h++) _rope.Rotate(b.Q + (long)t * c.QDim + h * c.HeadDim, cos, sin);
                for (int h = 0; h < c.KvHeads; h++) _rope.Rotate(b.K + (long)t * c.KvDim + h * c.HeadDim, cos, sin);
                _rowCaches[t].Write(l, _rowPositions[t], b.K + (long)t * c.KvDim, b.V + (long)t * c.KvDim);
            }

            Attention(l, T, b);
            MatMul.Forward(lw.Wo, b.Att, T, b.Proj, Pool);
            Kernels.Add(b.X, b.Proj, T * dim);

            for (int t = 0; t < T; t++) Kernels.RmsNorm(b.Xb + (long)t * dim, b.X + (long)t * dim, lw.FfnNorm, dim, c.NormEps);
            MatMul.Forward(lw.WGate, b.Gate, lw.WUp, b.Up, b.Xb, T, Pool);
            Kernels.SwiGlu(b.Gate, b.Up, T * c.HiddenDim);
            MatMul.Forward(lw.WDown, b.Gate, T, b.Proj, Pool);
            Kernels.Add(b.X, b.Proj, T * dim);
        }
    }

    /// <summary>Final norm and output matrix for rows [first, T), written to consecutive rows of <paramref name="logits"/>.</summary>
    private void WriteLogits(int first, int T, Span<float> logits)
    {
        LlamaConfig c = Config;
        int dim = c.Dim;
        ForwardBuffers b = _buffers!;
        for (int t = first; t < T; t++) Kernels.RmsNorm(b.Xb + (long)(t - first) * dim, b.X + (long)t * dim, _w.FinalNorm, dim, c.NormEps);
        fixed (float* pl = logits) MatMul.Forward(_w.Output, b.Xb, T - first, pl, Pool);
    }

    private void AddBias(float* y, float[] bias, int tokens)
    {
        fixed (float* pb = bias)
            for (int t = 0; t < tokens; t++) Kernels.Add(y + (long)t * bias.Length, pb, bias.Length);
    }

    public void Dispose()
    {
        _buffers?.Dispose();
        _buffers = null;
    }
}

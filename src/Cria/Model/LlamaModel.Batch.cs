using Cria.Generation;
using Cria.Tensors;

namespace Cria.Model;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// One decode step for several independent sequences: <paramref name="tokens"/>[i] is fed at the next
    /// position of <paramref name="caches"/>[i], and the logits of sequence i go to
    /// <paramref name="logits"/>[i·vocab ..]. The weight matmuls run once for all sequences (matrix-matrix
    /// work, which is what makes serving many clients cheaper than serving them one by one); attention runs
    /// per sequence against its own cache. Each (row, token) dot product is summed in the same order as in
    /// <see cref="Forward"/>, so the logits equal a per-sequence Forward bit for bit.
    /// </summary>
    public void ForwardBatch(ReadOnlySpan<int> tokens, KvCache[] caches, Span<float> logits)
    {
        LlamaConfig c = Config;
        int B = tokens.Length, vocab = c.VocabSize, dim = c.Dim;
        if (B == 0) throw new ArgumentException("no tokens to feed", nameof(tokens));
        if (caches.Length != B) throw new ArgumentException($"{B} tokens but {caches.Length} caches", nameof(caches));
        if (logits.Length < (long)B * vocab) throw new ArgumentException("logits buffer is too small", nameof(logits));
        for (int i = 0; i < B; i++)
        {
            if ((uint)tokens[i] >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {tokens[i]} is outside the vocabulary (0..{vocab - 1})");
            if (caches[i].Length >= caches[i].Capacity) throw new InvalidOperationException($"context of sequence {i} is full ({caches[i].Capacity} positions)");
            if (caches[i].Layers != c.Layers || caches[i].KvDim != c.KvDim) throw new ArgumentException($"cache {i} was not made for this model", nameof(caches));
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(caches[i], caches[j])) throw new ArgumentException($"caches {j} and {i} are the same object", nameof(caches));
        }

        if (_buffers == null || _buffers.Capacity < B)
        {
            _buffers?.Dispose();
            _buffers = new ForwardBuffers(c, Math.Max(B, Math.Min(MaxBatch, 16)));
        }
        ForwardBuffers b = _buffers;
        int pairs = _rope.Pairs;
        for (int t = 0; t < B; t++)
        {
            _w.TokenEmbedding.ReadRow(tokens[t], new Span<float>(b.X + (long)t * dim, dim));
            _rope.Angles(caches[t].Length, b.Cos + t * pairs, b.Sin + t * pairs);
        }

        for (int l = 0; l < c.Layers; l++)
        {
            LayerWeights lw = _w.Layers[l];
            for (int t = 0; t < B; t++) Kernels.RmsNorm(b.Xb + (long)t * dim, b.X + (long)t * dim, lw.AttnNorm, dim, c.NormEps);
            MatMul.Forward(lw.Wq, b.Xb, B, b.Q, Pool);
            MatMul.Forward(lw.Wk, b.Xb, B, b.K, Pool);
            MatMul.Forward(lw.Wv, b.Xb, B, b.V, Pool);
            if (lw.Bq != null) AddBias(b.Q, lw.Bq, B);
            if (lw.Bk != null) AddBias(b.K, lw.Bk, B);
            if (lw.Bv != null) AddBias(b.V, lw.Bv, B);

            long rowBytes = (long)c.KvDim * sizeof(float);
            for (int t = 0; t < B; t++)
            {
                float* cos = b.Cos + t * pairs, sin = b.Sin + t * pairs;
                for (int h = 0; h < c.Heads; h++) _rope.Rotate(b.Q + (long)t * c.QDim + h * c.HeadDim, cos, sin);
                for (int h = 0; h < c.KvHeads; h++) _rope.Rotate(b.K + (long)t * c.KvDim + h * c.HeadDim, cos, sin);
                int pos = caches[t].Length;
                Buffer.MemoryCopy(b.K + (long)t * c.KvDim, caches[t].Keys(l, pos), rowBytes, rowBytes);
                Buffer.MemoryCopy(b.V + (long)t * c.KvDim, caches[t].Values(l, pos), rowBytes, rowBytes);
            }

            BatchAttention(caches, l, B, b);
            MatMul.Forward(lw.Wo, b.Att, B, b.Proj, Pool);
            Kernels.Add(b.X, b.Proj, B * dim);

            for (int t = 0; t < B; t++) Kernels.RmsNorm(b.Xb + (long)t * dim, b.X + (long)t * dim, lw.FfnNorm, dim, c.NormEps);
            MatMul.Forward(lw.WGate, b.Xb, B, b.Gate, Pool);
            MatMul.Forward(lw.WUp, b.Xb, B, b.Up, Pool);
            Kernels.SwiGlu(b.Gate, b.Up, B * c.HiddenDim);
            MatMul.Forward(lw.WDown, b.Gate, B, b.Proj, Pool);
            Kernels.Add(b.X, b.Proj, B * dim);
        }
        foreach (KvCache cache in caches) cache.Advance(1);

        for (int t = 0; t < B; t++) Kernels.RmsNorm(b.Xb + (long)t * dim, b.X + (long)t * dim, _w.FinalNorm, dim, c.NormEps);
        fixed (float* pl = logits) MatMul.Forward(_w.Output, b.Xb, B, pl, Pool);
    }

    /// <summary>Attention of each sequence's one new token against its own cache, parallel over (sequence, head).</summary>
    private void BatchAttention(KvCache[] caches, int layer, int B, ForwardBuffers b)
    {
        LlamaConfig c = Config;
        int heads = c.Heads, hd = c.HeadDim, group = c.Heads / c.KvHeads;
        float scale = 1f / MathF.Sqrt(hd);
        nint q = (nint)b.Q, att = (nint)b.Att;
        Pool.For(B * heads, item =>
        {
            int t = item / heads, h = item % heads;
            KvCache cache = caches[t];
            int len = cache.Length + 1;
            float* scores = Scores(len);
            float* qh = (float*)q + (long)t * c.QDim + h * hd;
            int kvOffset = h / group * hd;
            float* o = (float*)att + (long)t * c.QDim + h * hd;
            HeadAttention.Attend(qh, cache, layer, kvOffset, len, hd, scale, scores, o);
        });
    }
}

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
        int B = tokens.Length, vocab = c.VocabSize;
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

        EnsureRows(B);
        for (int t = 0; t < B; t++)
        {
            _rowCaches[t] = caches[t];
            _rowPositions[t] = caches[t].Length;
        }
        RunLayers(tokens);
        foreach (KvCache cache in caches) cache.Advance(1);
        WriteLogits(0, B, logits);
    }
}

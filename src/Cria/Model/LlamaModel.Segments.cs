using Cria.Generation;
using Cria.Tensors;

namespace Cria.Model;

public sealed unsafe partial class LlamaModel
{
    /// <summary>
    /// Feeds several sequences in one pass: segment i is the next <paramref name="lengths"/>[i] tokens of
    /// <paramref name="tokens"/> (concatenated in segment order), fed at the next positions of
    /// <paramref name="caches"/>[i]. Rows run through the weight matmuls together, up to <see cref="MaxBatch"/>
    /// at a time. <paramref name="logitRows"/> (ascending indices into the concatenated rows) selects the rows
    /// whose logits are written, one after another, to <paramref name="logits"/>. Every (row, output) is summed in
    /// the order <see cref="Forward"/> uses, so results equal a per-sequence Forward bit for bit whatever the mix.
    /// </summary>
    public void ForwardSegments(ReadOnlySpan<int> tokens, ReadOnlySpan<int> lengths, KvCache[] caches, ReadOnlySpan<int> logitRows, Span<float> logits)
    {
        int vocab = Config.VocabSize, segments = lengths.Length;
        if (caches.Length != segments) throw new ArgumentException($"{segments} segments but {caches.Length} caches", nameof(caches));
        long total = 0;
        for (int i = 0; i < segments; i++)
        {
            if (lengths[i] < 0) throw new ArgumentOutOfRangeException(nameof(lengths), $"segment {i} has a negative length");
            if (caches[i].Layers != Config.Layers || caches[i].KvDim != Config.KvDim) throw new ArgumentException($"cache {i} was not made for this model", nameof(caches));
            if (caches[i].Length + lengths[i] > caches[i].Capacity)
                throw new InvalidOperationException($"context of segment {i} is full: {caches[i].Length} + {lengths[i]} tokens exceed the context of {caches[i].Capacity}");
            for (int j = 0; j < i; j++)
                if (ReferenceEquals(caches[i], caches[j]) && lengths[i] > 0 && lengths[j] > 0)
                    throw new ArgumentException($"segments {j} and {i} feed the same cache", nameof(caches));
            total += lengths[i];
        }
        if (total != tokens.Length) throw new ArgumentException($"segment lengths add up to {total}, but {tokens.Length} tokens were given", nameof(lengths));
        if (total == 0) throw new ArgumentException("no tokens to feed", nameof(tokens));
        if (logits.Length < (long)logitRows.Length * vocab) throw new ArgumentException("logits buffer is too small", nameof(logits));
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(tokens), $"token id {t} is outside the vocabulary (0..{vocab - 1})");
        for (int k = 0; k < logitRows.Length; k++)
            if ((uint)logitRows[k] >= (uint)total || (k > 0 && logitRows[k] <= logitRows[k - 1]))
                throw new ArgumentException("logit rows must be ascending row indices", nameof(logitRows));

        // Chunks of up to MaxBatch rows in concatenated order: a row's earlier positions are either in an earlier
        // chunk (already in its cache) or earlier in the same chunk (written to the cache before attention runs).
        int[] bases = new int[segments];
        for (int i = 0; i < segments; i++) bases[i] = caches[i].Length;
        int seg = 0, fedInSeg = 0, nextLogit = 0;
        for (int start = 0; start < tokens.Length; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, tokens.Length - start);
            EnsureRows(n);
            for (int t = 0; t < n; t++)
            {
                while (fedInSeg == lengths[seg])
                {
                    seg++;
                    fedInSeg = 0;
                }
                _rowCaches[t] = caches[seg];
                _rowPositions[t] = bases[seg] + fedInSeg;
                fedInSeg++;
            }
            RunLayers(tokens.Slice(start, n));
            // A cache's rows within a chunk are one consecutive run; the cache grows by the run's length.
            for (int t = 0, run = 1; t < n; t++, run++)
                if (t == n - 1 || !ReferenceEquals(_rowCaches[t + 1], _rowCaches[t]))
                {
                    _rowCaches[t].Advance(run);
                    run = 0;
                }
            int first = nextLogit;
            while (nextLogit < logitRows.Length && logitRows[nextLogit] < start + n) nextLogit++;
            if (nextLogit > first) WriteLogitRows(logitRows[first..nextLogit], start, logits.Slice(first * vocab, (nextLogit - first) * vocab));
        }
    }

    /// <summary>Final norm and output matrix for the given rows (indices counted from <paramref name="chunkStart"/>).</summary>
    private void WriteLogitRows(ReadOnlySpan<int> rows, int chunkStart, Span<float> logits)
    {
        LlamaConfig c = Config;
        int dim = c.Dim;
        ForwardBuffers b = _buffers!;
        for (int k = 0; k < rows.Length; k++)
            Kernels.RmsNorm(b.Xb + (long)k * dim, b.X + (long)(rows[k] - chunkStart) * dim, _w.FinalNorm, dim, c.NormEps);
        fixed (float* pl = logits) MatMul.Forward(_w.Output, b.Xb, rows.Length, pl, Pool);
    }
}

using System.Runtime.InteropServices;
using Cria.Tensors;

namespace Cria.Model;

public sealed unsafe partial class LlamaModel
{
    [ThreadStatic] private static float* _scores;
    [ThreadStatic] private static int _scoresLength;

    /// <summary>
    /// Causal grouped-query attention for each (row, KV head): the query heads of a group read their keys and values
    /// once, while they are in cache. Row t sees its cache up to its position. Parallel over the items unless the
    /// whole step is too little work to be worth waking a helper thread (a decode step of a small model).
    /// </summary>
    private void Attention(int layer, int T, ForwardBuffers b)
    {
        LlamaConfig c = Config;
        _attentionLayer = layer;
        _attentionBuffers = b;
        long positions = 0;
        for (int t = 0; t < T; t++) positions += _rowPositions[t] + 1;
        int items = T * c.KvHeads;
        if (positions * c.QDim * 2 < WorkerPool.SerialWork)
            for (int i = 0; i < items; i++) AttentionItem(i);
        else
            Pool.For(items, _attentionItem);
        _attentionBuffers = null;
    }

    // The per-item body is a method bound once (no closure per call), so decoding allocates nothing per token.
    private void AttentionItem(int item)
    {
        LlamaConfig c = Config;
        int kvHeads = c.KvHeads, hd = c.HeadDim, group = c.Heads / kvHeads;
        int t = item / kvHeads, g = item % kvHeads;
        int len = _rowPositions[t] + 1;
        ForwardBuffers b = _attentionBuffers!;
        long at = (long)t * c.QDim + g * group * hd;
        HeadAttention.AttendGroup(b.Q + at, group, _rowCaches[t], _attentionLayer, g, len, _attentionScale, Scores(HeadAttention.ScratchFloats(len)), b.Att + at);
    }

    private static float* Scores(int length)
    {
        if (_scoresLength < length)
        {
            if (_scores != null) NativeMemory.AlignedFree(_scores);
            int size = Math.Max(length, 1024);
            _scores = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
            _scoresLength = size;
        }
        return _scores;
    }
}

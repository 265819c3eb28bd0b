using System.Runtime.InteropServices;

namespace Cria.Generation;

/// <summary>
/// Keys and values of every layer for the positions processed so far, in native memory, in blocks of
/// <see cref="BlockPositions"/> positions stored transposed: [layer][kv head][block][head dim][position in block].
/// Attention then reads one component of 16 positions as one vector, so scores and weighted sums vectorize over
/// positions (which suits heads of 8 as well as of 128) instead of a short dot product per position; and blocks
/// keep the memory a sequence touches proportional to its length. <see cref="Length"/> is the next position to
/// be written; truncating it rewinds the sequence (chat turns, shared-prefix scoring) without touching the stored values.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private float* _keys;
    private float* _values;

    /// <summary>Positions per block: one 512-bit vector of floats.</summary>
    public const int BlockPositions = 16;

    public int Layers { get; }
    public int Capacity { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }
    public int KvDim => KvHeads * HeadDim;
    public int Length { get; private set; }

    public KvCache(int layers, int capacity, int kvHeads, int headDim)
    {
        if (layers < 1 || capacity < 1 || kvHeads < 1 || headDim < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"a cache needs positive sizes (layers {layers}, capacity {capacity}, kv heads {kvHeads}, head dim {headDim})");
        Layers = layers;
        Capacity = capacity;
        KvHeads = kvHeads;
        HeadDim = headDim;
        Blocks = (capacity + BlockPositions - 1) / BlockPositions;
        nuint bytes = (nuint)((long)layers * kvHeads * Blocks * headDim * BlockPositions * sizeof(float));
        _keys = (float*)NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        _values = (float*)NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
    }

    /// <summary>Blocks of <see cref="BlockPositions"/> per layer and head (the capacity rounded up).</summary>
    public int Blocks { get; }

    public long Bytes => 2L * Layers * KvHeads * Blocks * HeadDim * BlockPositions * sizeof(float);

    /// <summary>Keys of one KV head: <see cref="Blocks"/> blocks of [<see cref="HeadDim"/>][<see cref="BlockPositions"/>].</summary>
    public float* KeyBlocks(int layer, int kvHead) => _keys + HeadOffset(layer, kvHead);

    /// <summary>Values of one KV head, laid out as <see cref="KeyBlocks"/>.</summary>
    public float* ValueBlocks(int layer, int kvHead) => _values + HeadOffset(layer, kvHead);

    private long HeadOffset(int layer, int kvHead) => ((long)layer * KvHeads + kvHead) * Blocks * HeadDim * BlockPositions;

    /// <summary>Stores the key and value vectors (each <see cref="KvDim"/> long, heads one after another) of one position.</summary>
    public void Write(int layer, int position, float* key, float* value)
    {
        if ((uint)position >= (uint)Capacity) throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is outside the cache of {Capacity}");
        int hd = HeadDim;
        long at = (long)(position / BlockPositions) * hd * BlockPositions + position % BlockPositions;
        for (int h = 0; h < KvHeads; h++)
        {
            float* k = KeyBlocks(layer, h) + at, v = ValueBlocks(layer, h) + at;
            float* ks = key + h * hd, vs = value + h * hd;
            for (int i = 0; i < hd; i++)
            {
                k[i * BlockPositions] = ks[i];
                v[i * BlockPositions] = vs[i];
            }
        }
    }

    /// <summary>Marks <paramref name="count"/> more positions as filled.</summary>
    public void Advance(int count)
    {
        if (Length + count > Capacity) throw new InvalidOperationException($"context is full: {Length} + {count} positions exceed the {Capacity} the cache holds");
        Length += count;
    }

    /// <summary>Forgets positions at and beyond <paramref name="length"/>.</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length));
        Length = length;
    }

    /// <summary>Copies the first <paramref name="length"/> positions of <paramref name="source"/> into this cache.</summary>
    public void CopyPrefixFrom(KvCache source, int length)
    {
        if (source.Layers != Layers || source.KvHeads != KvHeads || source.HeadDim != HeadDim || length > Capacity || length > source.Length)
            throw new ArgumentException("caches are not compatible");
        // Whole blocks: a head's blocks are contiguous, and what lies past the length in the last one is never read.
        long bytes = (long)(length + BlockPositions - 1) / BlockPositions * HeadDim * BlockPositions * sizeof(float);
        for (int l = 0; l < Layers; l++)
            for (int h = 0; h < KvHeads; h++)
            {
                Buffer.MemoryCopy(source.KeyBlocks(l, h), KeyBlocks(l, h), bytes, bytes);
                Buffer.MemoryCopy(source.ValueBlocks(l, h), ValueBlocks(l, h), bytes, bytes);
            }
        Length = length;
    }

    public void Dispose()
    {
        if (_keys != null) NativeMemory.AlignedFree(_keys);
        if (_values != null) NativeMemory.AlignedFree(_values);
        _keys = _values = null;
    }
}

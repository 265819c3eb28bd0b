using System.Runtime.InteropServices;

namespace Cria.Generation;

/// <summary>
/// Keys and values of every layer for the positions processed so far, [layer][position][kv_dim] in native
/// memory. <see cref="Length"/> is the next position to be written; truncating it rewinds the sequence
/// (chat turns, shared-prefix scoring) without touching the stored rows.
/// </summary>
public sealed unsafe class KvCache : IDisposable
{
    private float* _keys;
    private float* _values;

    public int Layers { get; }
    public int Capacity { get; }
    public int KvDim { get; }
    public int Length { get; private set; }

    public KvCache(int layers, int capacity, int kvDim)
    {
        Layers = layers;
        Capacity = capacity;
        KvDim = kvDim;
        nuint bytes = (nuint)((long)layers * capacity * kvDim * sizeof(float));
        _keys = (float*)NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        _values = (float*)NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
    }

    public long Bytes => 2L * Layers * Capacity * KvDim * sizeof(float);

    public float* Keys(int layer, int position) => _keys + ((long)layer * Capacity + position) * KvDim;

    public float* Values(int layer, int position) => _values + ((long)layer * Capacity + position) * KvDim;

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
        if (source.Layers != Layers || source.KvDim != KvDim || length > Capacity || length > source.Length)
            throw new ArgumentException("caches are not compatible");
        long rowBytes = (long)length * KvDim * sizeof(float);
        for (int l = 0; l < Layers; l++)
        {
            Buffer.MemoryCopy(source.Keys(l, 0), Keys(l, 0), rowBytes, rowBytes);
            Buffer.MemoryCopy(source.Values(l, 0), Values(l, 0), rowBytes, rowBytes);
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

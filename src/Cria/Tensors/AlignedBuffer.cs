using System.Runtime.InteropServices;

namespace Cria.Tensors;

/// <summary>A grow-only, 64-byte-aligned float buffer on the pinned heap (collected with its owner).</summary>
internal sealed unsafe class AlignedBuffer
{
    private float[] _array = [];
    private float* _aligned;
    private long _floats;

    /// <summary>At least <paramref name="floats"/> floats (contents undefined), valid until the next larger request.</summary>
    public float* Get(long floats)
    {
        if (floats <= _floats) return _aligned;
        _array = GC.AllocateUninitializedArray<float>(checked((int)(floats + 16)), pinned: true);
        float* p = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0);
        _aligned = (float*)(((nint)p + 63) & ~(nint)63);
        _floats = floats;
        return _aligned;
    }
}

using System.Runtime.InteropServices;

namespace Cria.Training;

/// <summary>Grow-only native scratch buffers, one per named slot, reused from step to step.</summary>
public sealed unsafe class Workspace : IDisposable
{
    private readonly Dictionary<string, (nint Ptr, long Floats)> _slots = new();

    /// <summary>A buffer of at least <paramref name="floats"/> floats (contents undefined).</summary>
    public float* Get(string slot, long floats)
    {
        if (_slots.TryGetValue(slot, out var s) && s.Floats >= floats) return (float*)s.Ptr;
        if (s.Ptr != 0) NativeMemory.AlignedFree((void*)s.Ptr);
        void* p = NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 16) * sizeof(float)), 64);
        _slots[slot] = ((nint)p, floats);
        return (float*)p;
    }

    /// <summary>A zero-filled buffer.</summary>
    public float* Zeroed(string slot, long floats)
    {
        float* p = Get(slot, floats);
        NativeMemory.Clear(p, (nuint)(floats * sizeof(float)));
        return p;
    }

    public long Bytes => _slots.Values.Sum(s => s.Floats * sizeof(float));

    public void Dispose()
    {
        foreach (var s in _slots.Values) NativeMemory.AlignedFree((void*)s.Ptr);
        _slots.Clear();
    }
}

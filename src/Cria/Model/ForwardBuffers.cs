using System.Runtime.InteropServices;

namespace Cria.Model;

/// <summary>Activation buffers for a batch of up to <see cref="Capacity"/> tokens, in native memory.</summary>
internal sealed unsafe class ForwardBuffers : IDisposable
{
    private readonly List<nint> _blocks = new();

    public int Capacity { get; }
    public float* X { get; }        // residual stream [T, dim]
    public float* Xb { get; }       // normed input [T, dim]
    public float* Q { get; }        // [T, q_dim]
    public float* K { get; }        // [T, kv_dim]
    public float* V { get; }        // [T, kv_dim]
    public float* Att { get; }      // attention output [T, q_dim]
    public float* Proj { get; }     // projection back to the stream [T, dim]
    public float* Gate { get; }     // [T, hidden]
    public float* Up { get; }       // [T, hidden]
    public float* Cos { get; }      // [T, rope pairs]
    public float* Sin { get; }      // [T, rope pairs]

    public ForwardBuffers(LlamaConfig c, int capacity)
    {
        Capacity = capacity;
        X = Alloc((long)capacity * c.Dim);
        Xb = Alloc((long)capacity * c.Dim);
        Q = Alloc((long)capacity * c.QDim);
        K = Alloc((long)capacity * c.KvDim);
        V = Alloc((long)capacity * c.KvDim);
        Att = Alloc((long)capacity * c.QDim);
        Proj = Alloc((long)capacity * c.Dim);
        Gate = Alloc((long)capacity * c.HiddenDim);
        Up = Alloc((long)capacity * c.HiddenDim);
        Cos = Alloc((long)capacity * (c.RopeDim / 2));
        Sin = Alloc((long)capacity * (c.RopeDim / 2));
    }

    private float* Alloc(long floats)
    {
        void* p = NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 16) * sizeof(float)), 64);
        _blocks.Add((nint)p);
        return (float*)p;
    }

    public void Dispose()
    {
        foreach (nint p in _blocks) NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
    }
}

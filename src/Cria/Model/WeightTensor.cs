using System.Runtime.InteropServices;
using Cria.Tensors;

namespace Cria.Model;

/// <summary>
/// A weight matrix stored row-major as [Rows][Cols] in its on-disk type (PyTorch's [out, in] order):
/// a row is one output feature. The bytes usually live in a memory-mapped file; tensors Cria builds
/// itself own native memory instead.
/// </summary>
public sealed unsafe class WeightTensor : IDisposable
{
    private void* _owned;

    public string Name { get; }
    public DType Type { get; }
    public int Rows { get; }
    public int Cols { get; }
    public byte* Data { get; private set; }
    public long RowBytes { get; }
    public long ByteLength => RowBytes * Rows;
    public long Elements => (long)Rows * Cols;

    public WeightTensor(string name, DType type, int rows, int cols, byte* data)
    {
        Name = name;
        Type = type;
        Rows = rows;
        Cols = cols;
        Data = data;
        long rb = type.ByteCount(cols);
        if (rb < 0) throw new ArgumentException($"{name}: row length {cols} is not a multiple of the {type} block size {type.BlockSize()}");
        RowBytes = rb;
    }

    /// <summary>An F32 tensor in native memory owned by this object (zero-filled).</summary>
    public static WeightTensor AllocateF32(string name, int rows, int cols)
    {
        nuint bytes = (nuint)((long)rows * cols * sizeof(float));
        void* p = NativeMemory.AlignedAlloc(Math.Max(bytes, 64), 64);
        NativeMemory.Clear(p, bytes);
        return new WeightTensor(name, DType.F32, rows, cols, (byte*)p) { _owned = p };
    }

    public byte* Row(int r) => Data + r * RowBytes;

    /// <summary>Row <paramref name="r"/> as floats (dequantized if needed).</summary>
    public void ReadRow(int r, Span<float> dst) => Dequantize.Row(Type, Row(r), dst[..Cols]);

    /// <summary>The whole tensor as floats; for tests and small tensors only.</summary>
    public float[] ToArray()
    {
        float[] result = new float[Elements];
        for (int r = 0; r < Rows; r++) ReadRow(r, result.AsSpan(r * Cols, Cols));
        return result;
    }

    public Span<float> AsF32Span()
    {
        if (Type != DType.F32) throw new InvalidOperationException($"{Name} is {Type}, not F32");
        return new Span<float>(Data, checked((int)Elements));
    }

    public void Dispose()
    {
        if (_owned != null)
        {
            NativeMemory.AlignedFree(_owned);
            _owned = null;
            Data = null;
        }
    }
}

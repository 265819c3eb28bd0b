using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// A stored tensor found in a checkpoint, in PyTorch dimension order (outermost first, so a matrix is [out, in]).
/// <see cref="Data"/> points into the file's memory map.
/// </summary>
public sealed unsafe record TensorEntry(string Name, DType Type, long[] Shape, IntPtr Data, long ByteSize, string File)
{
    public byte* Pointer => (byte*)Data;

    public long Elements
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

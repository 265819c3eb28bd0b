using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// A tensor described in a GGUF header. <see cref="Shape"/> is in ggml order (ne0 first: the row length),
/// <see cref="Offset"/> is absolute in the file.
/// </summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, DType Type, long Offset, long ByteSize)
{
    public long Elements
    {
        get
        {
            long n = 1;
            foreach (long d in Shape) n *= d;
            return n;
        }
    }
}

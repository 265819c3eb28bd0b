namespace Cria.Tensors;

/// <summary>Element types of stored weights. Quantized types use GGUF's block layouts.</summary>
public enum DType
{
    F32,
    F16,
    BF16,
    Q8_0,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
}

public static class DTypeInfo
{
    /// <summary>Number of elements in one block (1 for plain floats).</summary>
    public static int BlockSize(this DType t) => t switch
    {
        DType.F32 or DType.F16 or DType.BF16 => 1,
        DType.Q8_0 or DType.Q4_0 or DType.Q4_1 or DType.Q5_0 or DType.Q5_1 => 32,
        _ => 256,
    };

    /// <summary>Bytes of one block, as laid out by ggml.</summary>
    public static int BlockBytes(this DType t) => t switch
    {
        DType.F32 => 4,
        DType.F16 or DType.BF16 => 2,
        DType.Q8_0 => 34,
        DType.Q4_0 => 18,
        DType.Q4_1 => 20,
        DType.Q5_0 => 22,
        DType.Q5_1 => 24,
        DType.Q2_K => 84,
        DType.Q3_K => 110,
        DType.Q4_K => 144,
        DType.Q5_K => 176,
        DType.Q6_K => 210,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>Bytes needed by <paramref name="elements"/> elements, or -1 when the count is not a whole number of blocks.</summary>
    public static long ByteCount(this DType t, long elements)
    {
        int bs = t.BlockSize();
        if (elements < 0 || elements % bs != 0) return -1;
        return checked(elements / bs * t.BlockBytes());
    }

    public static bool IsQuantized(this DType t) => t.BlockSize() > 1;
}

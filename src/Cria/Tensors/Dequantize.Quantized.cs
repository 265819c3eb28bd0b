namespace Cria.Tensors;

public static unsafe partial class Dequantize
{
    private static void Quantized(DType type, byte* src, Span<float> dst)
    {
        // One indirect call per block rather than a switch per block keeps the dispatch out of the hot loop.
        delegate*<byte*, float*, void> block = type switch
        {
            DType.Q8_0 => &BlockQ8_0,
            DType.Q4_0 => &BlockQ4_0,
            DType.Q4_1 => &BlockQ4_1,
            DType.Q5_0 => &BlockQ5_0,
            DType.Q5_1 => &BlockQ5_1,
            DType.Q2_K => &BlockQ2_K,
            DType.Q3_K => &BlockQ3_K,
            DType.Q4_K => &BlockQ4_K,
            DType.Q5_K => &BlockQ5_K,
            DType.Q6_K => &BlockQ6_K,
            _ => throw new NotSupportedException($"dequantizing {type} is not supported"),
        };

        int blockSize = type.BlockSize();
        if (dst.Length % blockSize != 0)
            throw new ArgumentException($"{dst.Length} elements are not a whole number of {type} blocks of {blockSize}", nameof(dst));
        int blockBytes = type.BlockBytes();
        int blocks = dst.Length / blockSize;
        fixed (float* y = dst)
        {
            for (int b = 0; b < blocks; b++)
                block(src + (long)b * blockBytes, y + (long)b * blockSize);
        }
    }
}

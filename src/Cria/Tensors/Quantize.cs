namespace Cria.Tensors;

/// <summary>
/// Converts float32 rows to stored types. Quantized types reproduce ggml's reference (round-to-nearest, no importance
/// matrix) quantizers byte for byte, so files written here match what ggml would write from the same floats.
/// </summary>
public static unsafe partial class Quantize
{
    /// <summary>Encodes src (a whole number of blocks) into src.Length / BlockSize blocks at <paramref name="dst"/>.</summary>
    public static void Row(DType type, ReadOnlySpan<float> src, byte* dst)
    {
        switch (type)
        {
            case DType.F32:
                src.CopyTo(new Span<float>(dst, src.Length));
                return;
            case DType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(src, new Span<Half>(dst, src.Length));
                return;
            case DType.BF16:
                Span<ushort> bf16 = new(dst, src.Length);
                for (int i = 0; i < src.Length; i++) bf16[i] = Dequantize.F32ToBf16(src[i]);
                return;
        }

        delegate*<float*, byte*, void> block = type switch
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
            _ => throw new NotSupportedException($"quantizing to {type} is not supported"),
        };

        int blockSize = type.BlockSize();
        if (src.Length % blockSize != 0)
            throw new ArgumentException($"{src.Length} elements are not a whole number of {type} blocks of {blockSize}", nameof(src));
        int blockBytes = type.BlockBytes();
        int blocks = src.Length / blockSize;
        fixed (float* x = src)
        {
            for (int b = 0; b < blocks; b++)
                block(x + (long)b * blockSize, dst + (long)b * blockBytes);
        }
    }
}

namespace Cria.Tensors;

public static unsafe partial class Dequantize
{
    private static void Quantized(DType type, byte* src, Span<float> dst)
        => throw new NotSupportedException($"dequantizing {type} is not implemented yet");
}

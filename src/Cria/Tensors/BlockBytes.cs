using System.Buffers.Binary;

namespace Cria.Tensors;

/// <summary>Little-endian field access inside ggml blocks, independent of the host's byte order (fp16 reads are <see cref="Dequantize.ReadHalf"/>).</summary>
internal static unsafe class BlockBytes
{
    public static void WriteHalf(byte* p, float value) => BinaryPrimitives.WriteUInt16LittleEndian(new Span<byte>(p, 2), BitConverter.HalfToUInt16Bits((Half)value));

    public static uint ReadUInt32(byte* p) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p, 4));

    public static void WriteUInt32(byte* p, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(p, 4), value);
}

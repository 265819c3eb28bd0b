using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Cria.Tensors;

/// <summary>Converts stored rows (any <see cref="DType"/>) to float32.</summary>
public static unsafe partial class Dequantize
{
    /// <summary>Dequantizes dst.Length elements starting at <paramref name="src"/>. dst.Length must be a whole number of blocks.</summary>
    public static void Row(DType type, byte* src, Span<float> dst)
    {
        switch (type)
        {
            case DType.F32:
                new ReadOnlySpan<float>(src, dst.Length).CopyTo(dst);
                break;
            case DType.F16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, dst.Length), dst);
                break;
            case DType.BF16:
                Bf16ToF32(new ReadOnlySpan<ushort>(src, dst.Length), dst);
                break;
            default:
                Quantized(type, src, dst);
                break;
        }
    }

    public static void Bf16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(dst);
        for (int i = 0; i < src.Length; i++) bits[i] = (uint)src[i] << 16;
    }

    /// <summary>Rounds to nearest even, as PyTorch does when casting to bfloat16.</summary>
    public static ushort F32ToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    internal static float ReadHalf(byte* p) => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(p, 2)));
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cria.Tensors;

/// <summary>
/// fp16 → float32 for every bit pattern (256 KiB, stays in L2). The quantized kernels read one fp16 scale per
/// block of 32 weights; a table read is several times cheaper there than the software <see cref="Half"/> conversion.
/// </summary>
internal static unsafe class HalfTable
{
    public static readonly float* Values = Build();

    private static float* Build()
    {
        float* t = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) t[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return t;
    }

    /// <summary>The fp16 value stored little-endian at p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* p) => Read(Values, p);

    /// <summary>
    /// The same from <paramref name="table"/> = <see cref="Values"/>, which a kernel reads once: kernels compiled fully
    /// optimized on their first call (before this class is initialized) do not inline a method that reads its statics.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(float* table, byte* p) => table[BitConverter.IsLittleEndian ? *(ushort*)p : p[0] | (p[1] << 8)];
}

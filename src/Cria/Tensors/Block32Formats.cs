using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>A GGUF weight block of 32 values with one fp16 scale in its first two bytes.</summary>
internal unsafe interface IBlock32
{
    static abstract int Bytes { get; }

    /// <summary>The block's 32 quants in element order, in the form <see cref="Pair{TD}"/> takes.</summary>
    static abstract Vector256<sbyte> Load(byte* block);

    /// <summary>Int32 lanes of Σ w·x (lane i over elements 4i..4i+3) for loaded weights and int8 activations.</summary>
    static abstract Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<sbyte> x) where TD : IInt8Dot;

    /// <summary>Signed integer value of element i (the scalar path).</summary>
    static abstract int Value(byte* block, int i);
}

/// <summary>Q8_0: fp16 d, int8 qs[32]; value = d·q.</summary>
internal readonly unsafe struct Q8_0Block : IBlock32
{
    public static int Bytes => 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Load(byte* block) => Vector256.Load((sbyte*)(block + 2));

    // Signed × signed through an unsigned × signed product: |w| · (x with w's sign).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<sbyte> x) where TD : IInt8Dot
        => TD.Dot(Avx2.Abs(w), Avx2.Sign(x, w));

    public static int Value(byte* block, int i) => ((sbyte*)(block + 2))[i];
}

/// <summary>Q4_0: fp16 d, qs[16] with elements 0..15 in the low nibbles and 16..31 in the high; value = d·(q − 8).</summary>
internal readonly unsafe struct Q4_0Block : IBlock32
{
    public static int Bytes => 18;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Load(byte* block)
    {
        Vector128<byte> v = Vector128.Load(block + 2);
        Vector128<byte> mask = Vector128.Create((byte)0x0F);
        return Vector256.Create(v & mask, Vector128.ShiftRightLogical(v, 4) & mask).AsSByte();
    }

    // Σ (q − 8)·x = Σ q·x − Σ 8·x, both unsigned × signed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<sbyte> x) where TD : IInt8Dot
        => TD.Dot(w.AsByte(), x) - TD.Dot(Vector256.Create((byte)8), x);

    public static int Value(byte* block, int i)
        => i < 16 ? (block[2 + i] & 0xF) - 8 : (block[2 + i - 16] >> 4) - 8;
}

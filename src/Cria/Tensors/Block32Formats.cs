using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>
/// A GGUF weight block of 32 values with one fp16 scale in its first two bytes, as the int8 kernels see it. A
/// product of one weight block and one activation block is split into work per row (<see cref="PrepareRow{TD}"/>),
/// per token (<see cref="PrepareToken{TD}"/>) and per pair (<see cref="Pair{TD}"/>), so a tile of rows × tokens
/// does the shared work once. Every split yields the exact integer lanes, so all tiles agree.
/// </summary>
internal unsafe interface IBlock32
{
    static abstract int Bytes { get; }

    /// <summary>The block's 32 quants in element order.</summary>
    static abstract Vector256<sbyte> Load(byte* block);

    static abstract void PrepareRow<TD>(Vector256<sbyte> w, out Vector256<byte> wu, out Vector256<int> rowBase) where TD : IInt8Dot;

    static abstract void PrepareToken<TD>(Vector256<sbyte> x, out Vector256<byte> xu, out Vector256<int> tokenBase) where TD : IInt8Dot;

    /// <summary>Int32 lanes of Σ w·x (lane i over elements 4i..4i+3).</summary>
    static abstract Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<byte> wu, Vector256<int> rowBase,
        Vector256<sbyte> x, Vector256<byte> xu, Vector256<int> tokenBase) where TD : IInt8Dot;

    /// <summary>Signed integer value of element i (the scalar path).</summary>
    static abstract int Value(byte* block, int i);
}

/// <summary>Q8_0: fp16 d, int8 qs[32]; value = d·q.</summary>
internal readonly unsafe struct Q8_0Block : IBlock32
{
    public static int Bytes => 34;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Load(byte* block) => Vector256.Load((sbyte*)(block + 2));

    // With VNNI: Σ w·x = Σ (w+128)·x − 128·Σ x; the second term is per token (shared by every row of a tile, and
    // by every row of a matrix when decoding), and it seeds the accumulator, so a row costs one XOR and one VPDPBUSD.
    // With AVX2 (which would saturate on w+128): |w| · (x with w's sign).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrepareRow<TD>(Vector256<sbyte> w, out Vector256<byte> wu, out Vector256<int> rowBase) where TD : IInt8Dot
    {
        wu = TD.FullRangeUnsigned ? (w.AsByte() ^ Vector256.Create((byte)0x80)) : Avx2.Abs(w);
        rowBase = default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrepareToken<TD>(Vector256<sbyte> x, out Vector256<byte> xu, out Vector256<int> tokenBase) where TD : IInt8Dot
    {
        xu = default;
        tokenBase = TD.FullRangeUnsigned ? Vector256<int>.Zero - TD.Dot(Vector256<int>.Zero, Vector256.Create((byte)0x80), x) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<byte> wu, Vector256<int> rowBase,
        Vector256<sbyte> x, Vector256<byte> xu, Vector256<int> tokenBase) where TD : IInt8Dot
        => TD.FullRangeUnsigned ? TD.Dot(tokenBase, wu, x) : TD.Dot(Vector256<int>.Zero, wu, Avx2.Sign(x, w));

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrepareRow<TD>(Vector256<sbyte> w, out Vector256<byte> wu, out Vector256<int> rowBase) where TD : IInt8Dot
    {
        wu = w.AsByte();
        rowBase = default;
    }

    // Σ (q − 8)·x = Σ q·x − Σ 8·x: the second term is per token, and it seeds the accumulator.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrepareToken<TD>(Vector256<sbyte> x, out Vector256<byte> xu, out Vector256<int> tokenBase) where TD : IInt8Dot
    {
        xu = default;
        tokenBase = Vector256<int>.Zero - TD.Dot(Vector256<int>.Zero, Vector256.Create((byte)8), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Pair<TD>(Vector256<sbyte> w, Vector256<byte> wu, Vector256<int> rowBase,
        Vector256<sbyte> x, Vector256<byte> xu, Vector256<int> tokenBase) where TD : IInt8Dot
        => TD.Dot(tokenBase, wu, x);

    public static int Value(byte* block, int i)
        => i < 16 ? (block[2 + i] & 0xF) - 8 : (block[2 + i - 16] >> 4) - 8;
}

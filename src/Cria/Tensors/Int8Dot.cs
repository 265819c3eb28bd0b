using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>
/// acc + eight int32 lanes, lane i = Σ u[j]·s[j] over bytes 4i..4i+3 (unsigned × signed). Both implementations
/// give the same integers for the operands the kernels pass, so the paths agree bit for bit.
/// </summary>
internal interface IInt8Dot
{
    /// <summary>True when u may use the whole byte range (0..255) with any s; AVX2's int16 pair sums saturate there.</summary>
    static abstract bool FullRangeUnsigned { get; }

    static abstract Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s);

    /// <summary>acc + lane i = p[2i]·s[2i] + p[2i+1]·s[2i+1] (int16 pairs to int32).</summary>
    static abstract Vector256<int> DotScaled(Vector256<int> acc, Vector256<short> p, Vector256<short> s);
}

/// <summary>VPDPBUSD (AVX-VNNI, 256-bit): one instruction, accumulating.</summary>
internal readonly struct VnniDot : IInt8Dot
{
    public static bool FullRangeUnsigned => true;

    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s) => AvxVnni.MultiplyWideningAndAdd(acc, u, s);

    public static Vector256<int> DotScaled(Vector256<int> acc, Vector256<short> p, Vector256<short> s) => AvxVnni.MultiplyWideningAndAdd(acc, p, s);
}

/// <summary>AVX2: VPMADDUBSW to int16 pairs, then VPMADDWD against ones to int32 quads.</summary>
internal readonly struct Avx2Dot : IInt8Dot
{
    public static bool FullRangeUnsigned => false;

    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
        => acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));

    public static Vector256<int> DotScaled(Vector256<int> acc, Vector256<short> p, Vector256<short> s) => acc + Avx2.MultiplyAddAdjacent(p, s);
}

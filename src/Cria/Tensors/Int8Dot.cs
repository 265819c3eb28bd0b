using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cria.Tensors;

/// <summary>
/// Eight int32 lanes, lane i = Σ u[j]·s[j] over bytes 4i..4i+3 (unsigned × signed). Both implementations give the
/// same integers for the operands the kernels pass (|u·s| pairs below the 16-bit saturation of maddubs).
/// </summary>
internal interface IInt8Dot
{
    static abstract Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s);
}

/// <summary>VPDPBUSD (AVX-VNNI, 256-bit): one instruction.</summary>
internal readonly struct VnniDot : IInt8Dot
{
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s) => AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, u, s);
}

/// <summary>AVX2: VPMADDUBSW to int16 pairs, then VPMADDWD against ones to int32 quads.</summary>
internal readonly struct Avx2Dot : IInt8Dot
{
    public static Vector256<int> Dot(Vector256<byte> u, Vector256<sbyte> s)
        => Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256.Create((short)1));
}

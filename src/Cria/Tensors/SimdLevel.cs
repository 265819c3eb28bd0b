using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>Widest vector path the kernels use.</summary>
public enum SimdLevel
{
    Scalar,
    V128,
    V256,
    V512,
}

/// <summary>
/// Picks the kernel width once at start-up from the CPU; <c>CRIA_SIMD=scalar|v128|v256|v512</c> (or
/// <see cref="Override"/>) forces a narrower one so all paths can be checked against each other.
/// </summary>
public static class Simd
{
    public static SimdLevel Detected { get; } = Detect();

    private static SimdLevel _level = FromEnvironment() ?? Detected;

    public static SimdLevel Level => _level;

    private static SimdLevel Detect()
    {
        if (Vector512.IsHardwareAccelerated) return SimdLevel.V512;
        if (Vector256.IsHardwareAccelerated) return SimdLevel.V256;
        if (Vector128.IsHardwareAccelerated) return SimdLevel.V128;
        return SimdLevel.Scalar;
    }

    private static SimdLevel? FromEnvironment()
    {
        string? v = Environment.GetEnvironmentVariable("CRIA_SIMD");
        if (string.IsNullOrEmpty(v)) return null;
        return Parse(v);
    }

    public static SimdLevel Parse(string text) => text.ToLowerInvariant() switch
    {
        "scalar" => SimdLevel.Scalar,
        "v128" or "sse" or "neon" => SimdLevel.V128,
        "v256" or "avx2" => SimdLevel.V256,
        "v512" or "avx512" => SimdLevel.V512,
        _ => throw new ArgumentException($"unknown SIMD level '{text}' (scalar, v128, v256, v512)"),
    };

    /// <summary>Forces a level no wider than the hardware supports; returns the previous one.</summary>
    public static SimdLevel Override(SimdLevel level)
    {
        SimdLevel previous = _level;
        _level = level > Detected ? Detected : level;
        return previous;
    }
}

using Cria.Tensors;

namespace Cria.Formats;

/// <summary>ggml's numeric type ids as stored in GGUF tensor infos.</summary>
public static class GgmlTypes
{
    public static DType? ToDType(uint ggmlType) => ggmlType switch
    {
        0 => DType.F32,
        1 => DType.F16,
        2 => DType.Q4_0,
        3 => DType.Q4_1,
        6 => DType.Q5_0,
        7 => DType.Q5_1,
        8 => DType.Q8_0,
        10 => DType.Q2_K,
        11 => DType.Q3_K,
        12 => DType.Q4_K,
        13 => DType.Q5_K,
        14 => DType.Q6_K,
        30 => DType.BF16,
        _ => null,
    };

    public static uint FromDType(DType t) => t switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.Q4_0 => 2,
        DType.Q4_1 => 3,
        DType.Q5_0 => 6,
        DType.Q5_1 => 7,
        DType.Q8_0 => 8,
        DType.Q2_K => 10,
        DType.Q3_K => 11,
        DType.Q4_K => 12,
        DType.Q5_K => 13,
        DType.Q6_K => 14,
        DType.BF16 => 30,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>Names of ggml types Cria cannot read, for error messages.</summary>
    public static string Name(uint ggmlType) => ggmlType switch
    {
        9 => "Q8_1",
        15 => "Q8_K",
        16 => "IQ2_XXS",
        17 => "IQ2_XS",
        18 => "IQ3_XXS",
        19 => "IQ1_S",
        20 => "IQ4_NL",
        21 => "IQ3_S",
        22 => "IQ2_S",
        23 => "IQ4_XS",
        24 => "I8",
        25 => "I16",
        26 => "I32",
        27 => "I64",
        28 => "F64",
        29 => "IQ1_M",
        _ => ToDType(ggmlType)?.ToString() ?? $"type {ggmlType}",
    };
}

namespace Cria.Formats;

/// <summary>GGUF metadata value types, numbered as in the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// One metadata value. Scalars are boxed CLR values (byte, sbyte, ushort, short, uint, int, float, bool,
/// string, ulong, long, double); arrays are typed CLR arrays of those (byte[], float[], string[] …).
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>The value as a 64-bit integer when it is any integer type (or bool).</summary>
    public long? AsInteger() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v => v > long.MaxValue ? null : (long)v,
        long v => v,
        bool v => v ? 1 : 0,
        _ => null,
    };

    public double? AsDouble() => Value switch
    {
        float v => v,
        double v => v,
        _ => AsInteger(),
    };

    public override string ToString() => Value switch
    {
        string s => s,
        Array a => $"[{ElementType} × {a.Length}]",
        _ => Convert.ToString(Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}

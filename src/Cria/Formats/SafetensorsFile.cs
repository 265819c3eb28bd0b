using System.Buffers.Binary;
using System.Text.Json;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// A .safetensors file: an 8-byte little-endian header length, a JSON header mapping names to
/// dtype/shape/data_offsets, then the raw data. Tensors are exposed in place over a memory map.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100L << 20;

    public static Dictionary<string, TensorEntry> Read(MappedFile file)
    {
        string path = file.Path;
        if (file.Length < 8) throw new CriaFormatException(path, "header_length", "file is too short to be safetensors");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file.Span(0, 8));
        if (headerLen < 2 || headerLen > MaxHeaderBytes || (long)headerLen > file.Length - 8)
            throw new CriaFormatException(path, "header_length", $"{headerLen} does not fit in the file ({file.Length} bytes)");
        long dataStart = 8 + (long)headerLen;
        long dataLength = file.Length - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.Span(8, (int)headerLen).ToArray());
        }
        catch (JsonException e)
        {
            throw new CriaFormatException(path, "header", $"is not valid JSON ({e.Message})");
        }

        Dictionary<string, TensorEntry> tensors = new(StringComparer.Ordinal);
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CriaFormatException(path, "header", "is not a JSON object");
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                string field = $"tensor '{p.Name}'";
                if (tensors.ContainsKey(p.Name)) throw new CriaFormatException(path, field, "appears twice in the header");
                JsonElement t = p.Value;
                if (t.ValueKind != JsonValueKind.Object || !t.TryGetProperty("dtype", out JsonElement dt) || !t.TryGetProperty("shape", out JsonElement sh) || !t.TryGetProperty("data_offsets", out JsonElement offs))
                    throw new CriaFormatException(path, field, "needs dtype, shape and data_offsets");
                string dtype = dt.GetString() ?? "";
                DType type = dtype switch
                {
                    "F32" => DType.F32,
                    "F16" => DType.F16,
                    "BF16" => DType.BF16,
                    _ => throw new CriaFormatException(path, field + ".dtype", $"unsupported dtype '{dtype}' (supported: F32, F16, BF16)"),
                };
                long[] shape = ReadLongs(sh, path, field + ".shape");
                long[] range = ReadLongs(offs, path, field + ".data_offsets");
                if (range.Length != 2 || range[0] > range[1] || range[1] > dataLength)
                    throw new CriaFormatException(path, field + ".data_offsets", $"[{string.Join(", ", range)}] lies outside the {dataLength} data bytes");
                long elements = 1;
                foreach (long d in shape)
                {
                    if (d < 0 || (d > 0 && elements > long.MaxValue / d)) throw new CriaFormatException(path, field + ".shape", "is invalid or overflows");
                    elements *= d;
                }
                long bytes = type.ByteCount(elements);
                if (bytes != range[1] - range[0])
                    throw new CriaFormatException(path, field + ".data_offsets", $"span {range[1] - range[0]} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {bytes}");
                unsafe { tensors[p.Name] = new TensorEntry(p.Name, type, shape, (IntPtr)(file.Pointer + dataStart + range[0]), bytes, path); }
            }
        }
        return tensors;
    }

    private static long[] ReadLongs(JsonElement e, string path, string field)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new CriaFormatException(path, field, "must be an array of integers");
        List<long> values = new();
        foreach (JsonElement x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt64(out long v) || v < 0)
                throw new CriaFormatException(path, field, "must hold non-negative integers");
            values.Add(v);
        }
        return values.ToArray();
    }
}

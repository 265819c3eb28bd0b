using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>Writes a .safetensors file (F32, F16 or BF16 tensors) through a temporary file and a rename.</summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, DType Type, long[] Shape, byte[] Data)> _tensors = new();

    /// <summary>Adds a tensor; <paramref name="shape"/> is in PyTorch order.</summary>
    public SafetensorsWriter Add(string name, DType type, long[] shape, byte[] data)
    {
        if (type is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"{name}: safetensors holds F32, F16 or BF16, not {type}");
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        if (type.ByteCount(elements) != data.Length) throw new ArgumentException($"{name}: {data.Length} bytes do not match shape [{string.Join(", ", shape)}] of {type}");
        _tensors.Add((name, type, shape, data));
        return this;
    }

    /// <summary>Adds float data converted to <paramref name="type"/>.</summary>
    public unsafe SafetensorsWriter Add(string name, DType type, long[] shape, ReadOnlySpan<float> values)
    {
        byte[] data = new byte[type.ByteCount(values.Length)];
        fixed (byte* p = data) Quantize.Row(type, values, p);
        return Add(name, type, shape, data);
    }

    public void Write(string path)
    {
        using MemoryStream header = new();
        using (Utf8JsonWriter json = new(header))
        {
            json.WriteStartObject();
            json.WriteStartObject("__metadata__");
            json.WriteString("format", "pt");
            json.WriteEndObject();
            long offset = 0;
            foreach (var t in _tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.Type.ToString());
                json.WriteStartArray("shape");
                foreach (long d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        // The header is padded with spaces to a multiple of 8 bytes so the data that follows stays aligned.
        int pad = (int)((8 - header.Length % 8) % 8);
        byte[] head = [.. header.ToArray(), .. Encoding.ASCII.GetBytes(new string(' ', pad))];
        string tmp = path + ".tmp";
        using (FileStream fs = new(tmp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)head.Length);
            fs.Write(len);
            fs.Write(head);
            foreach (var t in _tensors) fs.Write(t.Data);
        }
        File.Move(tmp, path, overwrite: true);
    }
}

using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// Writes a .safetensors file (F32, F16 or BF16 tensors) atomically (temporary file + rename). The header needs only
/// each tensor's type and shape, so tensor bytes can be produced one tensor at a time while the file is written
/// (<see cref="Add(string, DType, long[], Action{Stream})"/>): converting a model never holds more than the tensor
/// being written.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, DType Type, long[] Shape, long Bytes, Action<Stream> WriteData)> _tensors = new();

    /// <summary>
    /// Adds a tensor whose bytes <paramref name="writeData"/> writes to the file during <see cref="Write"/>;
    /// <paramref name="shape"/> is in PyTorch order, and exactly the shape's size in <paramref name="type"/> must be written.
    /// </summary>
    public SafetensorsWriter Add(string name, DType type, long[] shape, Action<Stream> writeData)
    {
        if (type is not (DType.F32 or DType.F16 or DType.BF16)) throw new ArgumentException($"{name}: safetensors holds F32, F16 or BF16, not {type}");
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"{name}: added twice");
        long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
        _tensors.Add((name, type, shape, type.ByteCount(elements), writeData));
        return this;
    }

    /// <summary>Adds a tensor held in memory.</summary>
    public SafetensorsWriter Add(string name, DType type, long[] shape, byte[] data)
    {
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        if (type.ByteCount(elements) != data.Length) throw new ArgumentException($"{name}: {data.Length} bytes do not match shape [{string.Join(", ", shape)}] of {type}");
        return Add(name, type, shape, s => s.Write(data));
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
        byte[] head = Header();
        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)head.Length);
            fs.Write(len);
            fs.Write(head);
            long dataStart = fs.Position, offset = 0;
            foreach (var t in _tensors)
            {
                t.WriteData(fs);
                offset += t.Bytes;
                long written = fs.Position - dataStart;
                if (written != offset) throw new InvalidOperationException($"{t.Name}: {written - (offset - t.Bytes)} bytes written, {t.Bytes} expected");
            }
        });
    }

    private byte[] Header()
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
                json.WriteNumberValue(offset + t.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Bytes;
            }
            json.WriteEndObject();
        }
        // The header is padded with spaces to a multiple of 8 bytes so the data that follows stays aligned.
        int pad = (int)((8 - header.Length % 8) % 8);
        return [.. header.ToArray(), .. Encoding.ASCII.GetBytes(new string(' ', pad))];
    }
}

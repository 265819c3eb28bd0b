using System.Text;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// Writes GGUF v3: header, metadata, tensor directory, then each tensor's bytes aligned to
/// <c>general.alignment</c> (32 unless the metadata says otherwise). Writes to a temporary file and renames.
/// Tensor bytes are either held in memory or produced while writing, so multi-gigabyte files need not fit in memory.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<(string Key, GgufValue Value)> _metadata = new();
    private readonly List<(string Name, DType Type, long[] Ne, long Bytes, Action<Stream> WriteData)> _tensors = new();

    public GgufWriter Set(string key, GgufValue value)
    {
        _metadata.RemoveAll(m => m.Key == key);
        _metadata.Add((key, value));
        return this;
    }

    public GgufWriter Set(string key, string value) => Set(key, new GgufValue(GgufValueType.String, value));
    public GgufWriter Set(string key, uint value) => Set(key, new GgufValue(GgufValueType.UInt32, value));
    public GgufWriter Set(string key, float value) => Set(key, new GgufValue(GgufValueType.Float32, value));
    public GgufWriter Set(string key, bool value) => Set(key, new GgufValue(GgufValueType.Bool, value));
    public GgufWriter Set(string key, string[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.String));
    public GgufWriter Set(string key, float[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Float32));
    public GgufWriter Set(string key, int[] values) => Set(key, new GgufValue(GgufValueType.Array, values, GgufValueType.Int32));

    /// <summary>Adds a tensor; <paramref name="ne"/> is in ggml order (row length first).</summary>
    public GgufWriter AddTensor(string name, DType type, long[] ne, byte[] data)
    {
        long expected = TensorBytes(type, ne);
        if (expected != data.Length) throw new ArgumentException($"{name}: {data.Length} bytes given, {type} {string.Join("×", ne)} needs {expected}");
        _tensors.Add((name, type, ne, expected, s => s.Write(data)));
        return this;
    }

    /// <summary>
    /// Adds a tensor whose bytes <paramref name="writeData"/> writes to the stream during <see cref="Write"/>;
    /// it must write exactly <see cref="TensorBytes"/> bytes.
    /// </summary>
    public GgufWriter AddTensor(string name, DType type, long[] ne, Action<Stream> writeData)
    {
        _tensors.Add((name, type, ne, TensorBytes(type, ne), writeData));
        return this;
    }

    /// <summary>Size in bytes of a tensor of <paramref name="type"/> with ggml shape <paramref name="ne"/>.</summary>
    public static long TensorBytes(DType type, long[] ne)
    {
        long elements = ne.Aggregate(1L, (a, b) => a * b);
        long rowBytes = type.ByteCount(ne[0]);
        if (rowBytes < 0) throw new ArgumentException($"row length {ne[0]} is not a multiple of the {type} block size {type.BlockSize()}");
        return rowBytes * (elements / ne[0]);
    }

    public long Alignment => _metadata.FirstOrDefault(m => m.Key == "general.alignment").Value?.AsInteger() ?? 32;

    public void Write(string path)
    {
        string tmp = path + ".tmp";
        try
        {
            using (FileStream fs = new(tmp, FileMode.Create, FileAccess.Write))
            using (BinaryWriter w = new(fs, Encoding.UTF8))
            {
                w.Write(GgufFile.Magic);
                w.Write(3u);
                w.Write((ulong)_tensors.Count);
                w.Write((ulong)_metadata.Count);
                foreach (var (key, value) in _metadata)
                {
                    WriteString(w, key);
                    w.Write((uint)value.Type);
                    WriteValue(w, value.Type, value.ElementType, value.Value);
                }
                long align = Alignment;
                long offset = 0;
                List<long> offsets = new();
                foreach (var t in _tensors)
                {
                    WriteString(w, t.Name);
                    w.Write((uint)t.Ne.Length);
                    foreach (long d in t.Ne) w.Write((ulong)d);
                    w.Write(GgmlTypes.FromDType(t.Type));
                    w.Write((ulong)offset);
                    offsets.Add(offset);
                    offset = (offset + t.Bytes + align - 1) / align * align;
                }
                Pad(w, align);
                long dataStart = fs.Position;
                for (int i = 0; i < _tensors.Count; i++)
                {
                    while (fs.Position < dataStart + offsets[i]) w.Write((byte)0);
                    w.Flush();
                    var t = _tensors[i];
                    t.WriteData(fs);
                    long written = fs.Position - dataStart - offsets[i];
                    if (written != t.Bytes) throw new InvalidOperationException($"{t.Name}: {written} bytes written, {t.Bytes} expected");
                }
                Pad(w, align);
            }
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void Pad(BinaryWriter w, long align)
    {
        while (w.BaseStream.Position % align != 0) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, GgufValueType elem, object v)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Write((byte)v); break;
            case GgufValueType.Int8: w.Write((sbyte)v); break;
            case GgufValueType.UInt16: w.Write((ushort)v); break;
            case GgufValueType.Int16: w.Write((short)v); break;
            case GgufValueType.UInt32: w.Write((uint)v); break;
            case GgufValueType.Int32: w.Write((int)v); break;
            case GgufValueType.Float32: w.Write((float)v); break;
            case GgufValueType.Bool: w.Write((bool)v ? (byte)1 : (byte)0); break;
            case GgufValueType.String: WriteString(w, (string)v); break;
            case GgufValueType.UInt64: w.Write((ulong)v); break;
            case GgufValueType.Int64: w.Write((long)v); break;
            case GgufValueType.Float64: w.Write((double)v); break;
            case GgufValueType.Array:
                Array a = (Array)v;
                w.Write((uint)elem);
                w.Write((ulong)a.Length);
                foreach (object item in a) WriteValue(w, elem, GgufValueType.UInt8, item);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}

using System.Text;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// A GGUF file (versions 2 and 3) opened read-only over a memory map: metadata, tensor directory,
/// and pointers to the tensor data in place.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    private const int MaxDims = 4;

    public string Path { get; }
    public uint Version { get; }
    public long Alignment { get; }
    public long DataOffset { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    public MappedFile Map { get; }

    private readonly Dictionary<string, GgufTensorInfo> _byName;

    private GgufFile(string path, MappedFile map, uint version, long alignment, long dataOffset,
        Dictionary<string, GgufValue> metadata, List<GgufTensorInfo> tensors)
    {
        Path = path;
        Map = map;
        Version = version;
        Alignment = alignment;
        DataOffset = dataOffset;
        Metadata = metadata;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name);
    }

    public static GgufFile Open(string path)
    {
        MappedFile map = MappedFile.Open(path);
        try
        {
            return Read(path, map);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    private static GgufFile Read(string path, MappedFile map)
    {
        BoundedReader r = new(map);
        if (map.Length < 4) throw new CriaFormatException(path, "magic", "file is too short to be GGUF");
        uint magic = r.U32("magic");
        if (magic != Magic) throw new CriaFormatException(path, "magic", $"expected 'GGUF', found 0x{magic:X8}");
        uint version = r.U32("version");
        if (version is not (2 or 3)) throw new CriaFormatException(path, "version", $"unsupported GGUF version {version} (supported: 2, 3)");

        long tensorCount = r.Count(r.U64("tensor_count"), 8 + 4 + 4 + 8, "tensor_count");
        long kvCount = r.Count(r.U64("metadata_kv_count"), 8 + 4, "metadata_kv_count");

        Dictionary<string, GgufValue> metadata = new(StringComparer.Ordinal);
        for (long i = 0; i < kvCount; i++)
        {
            string key = ReadString(r, $"metadata[{i}].key");
            uint type = r.U32($"{key}.type");
            GgufValue value = ReadValue(r, (GgufValueType)type, key);
            if (!metadata.TryAdd(key, value)) throw new CriaFormatException(path, key, "metadata key appears twice");
        }

        long alignment = 32;
        if (metadata.TryGetValue("general.alignment", out GgufValue? alignValue))
        {
            long? a = alignValue.AsInteger();
            if (a is null || a <= 0 || (a & (a - 1)) != 0 || a > 1 << 20)
                throw new CriaFormatException(path, "general.alignment", $"must be a power of two, found {alignValue}");
            alignment = a.Value;
        }

        List<(string Name, long[] Shape, uint Type, ulong Offset)> raw = new();
        HashSet<string> names = new(StringComparer.Ordinal);
        for (long i = 0; i < tensorCount; i++)
        {
            string name = ReadString(r, $"tensor[{i}].name");
            if (!names.Add(name)) throw new CriaFormatException(path, $"tensor '{name}'", "tensor name appears twice");
            uint nDims = r.U32($"tensor '{name}'.n_dims");
            if (nDims is 0 or > MaxDims) throw new CriaFormatException(path, $"tensor '{name}'.n_dims", $"{nDims} dimensions (1 to {MaxDims} allowed)");
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++)
            {
                ulong dim = r.U64($"tensor '{name}'.ne[{d}]");
                if (dim == 0 || dim > int.MaxValue)
                    throw new CriaFormatException(path, $"tensor '{name}'.ne[{d}]", $"dimension {dim} is out of range");
                shape[d] = (long)dim;
                if (elements > long.MaxValue / shape[d]) throw new CriaFormatException(path, $"tensor '{name}'.shape", "element count overflows");
                elements *= shape[d];
            }
            uint type = r.U32($"tensor '{name}'.type");
            ulong offset = r.U64($"tensor '{name}'.offset");
            raw.Add((name, shape, type, offset));
        }

        long dataOffset = AlignUp(r.Position, alignment);
        if (dataOffset > map.Length && tensorCount > 0)
            throw new CriaFormatException(path, "tensor_data", $"data section would start at {dataOffset}, past the end of the file ({map.Length} bytes)");

        List<GgufTensorInfo> tensors = new(raw.Count);
        foreach (var (name, shape, typeId, offset) in raw)
        {
            DType? dtype = GgmlTypes.ToDType(typeId);
            if (dtype is null)
                throw new CriaFormatException(path, $"tensor '{name}'.type", $"unsupported tensor type {GgmlTypes.Name(typeId)}");
            long bytes = dtype.Value.ByteCount(shape[0]);
            if (bytes < 0)
                throw new CriaFormatException(path, $"tensor '{name}'.shape", $"row length {shape[0]} is not a multiple of the {dtype} block size {dtype.Value.BlockSize()}");
            for (int d = 1; d < shape.Length; d++)
            {
                if (bytes > long.MaxValue / shape[d]) throw new CriaFormatException(path, $"tensor '{name}'.shape", "byte size overflows");
                bytes *= shape[d];
            }
            if (offset > (ulong)long.MaxValue || (long)offset % alignment != 0)
                throw new CriaFormatException(path, $"tensor '{name}'.offset", $"offset {offset} is not aligned to {alignment}");
            long abs = dataOffset + (long)offset;
            if (abs > map.Length || bytes > map.Length - abs)
                throw new CriaFormatException(path, $"tensor '{name}'.offset", $"data [{abs}, {abs + bytes}) lies past the end of the file ({map.Length} bytes)");
            tensors.Add(new GgufTensorInfo(name, shape, dtype.Value, abs, bytes));
        }

        return new GgufFile(path, map, version, alignment, dataOffset, metadata, tensors);
    }

    private static long AlignUp(long x, long a) => (x + a - 1) / a * a;

    private static string ReadString(BoundedReader r, string field)
    {
        long len = r.Count(r.U64(field + ".length"), 1, field);
        return r.Utf8(len, field);
    }

    private static GgufValue ReadValue(BoundedReader r, GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => new(type, r.U8(key)),
        GgufValueType.Int8 => new(type, (sbyte)r.U8(key)),
        GgufValueType.UInt16 => new(type, r.U16(key)),
        GgufValueType.Int16 => new(type, (short)r.U16(key)),
        GgufValueType.UInt32 => new(type, r.U32(key)),
        GgufValueType.Int32 => new(type, r.I32(key)),
        GgufValueType.Float32 => new(type, r.F32(key)),
        GgufValueType.Bool => new(type, ReadBool(r, key)),
        GgufValueType.String => new(type, ReadString(r, key)),
        GgufValueType.UInt64 => new(type, r.U64(key)),
        GgufValueType.Int64 => new(type, r.I64(key)),
        GgufValueType.Float64 => new(type, r.F64(key)),
        GgufValueType.Array => ReadArray(r, key),
        _ => throw new CriaFormatException(r.FilePath, key, $"unknown metadata value type {(uint)type}"),
    };

    private static bool ReadBool(BoundedReader r, string key)
    {
        byte b = r.U8(key);
        if (b > 1) throw new CriaFormatException(r.FilePath, key, $"bool value {b} is neither 0 nor 1");
        return b == 1;
    }

    private static GgufValue ReadArray(BoundedReader r, string key)
    {
        GgufValueType elem = (GgufValueType)r.U32(key + ".element_type");
        int size = elem switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.String => 8,
            GgufValueType.Array => throw new CriaFormatException(r.FilePath, key, "nested arrays are not supported"),
            _ => throw new CriaFormatException(r.FilePath, key, $"unknown array element type {(uint)elem}"),
        };
        int n = checked((int)Math.Min(int.MaxValue, r.Count(r.U64(key + ".length"), size, key + ".length")));
        Array values = elem switch
        {
            GgufValueType.UInt8 => r.Take(n, key).ToArray(),
            GgufValueType.Int8 => Fill(new sbyte[n], i => (sbyte)r.U8(key)),
            GgufValueType.Bool => Fill(new bool[n], i => ReadBool(r, key)),
            GgufValueType.UInt16 => Fill(new ushort[n], i => r.U16(key)),
            GgufValueType.Int16 => Fill(new short[n], i => (short)r.U16(key)),
            GgufValueType.UInt32 => Fill(new uint[n], i => r.U32(key)),
            GgufValueType.Int32 => Fill(new int[n], i => r.I32(key)),
            GgufValueType.Float32 => Fill(new float[n], i => r.F32(key)),
            GgufValueType.UInt64 => Fill(new ulong[n], i => r.U64(key)),
            GgufValueType.Int64 => Fill(new long[n], i => r.I64(key)),
            GgufValueType.Float64 => Fill(new double[n], i => r.F64(key)),
            _ => Fill(new string[n], i => ReadString(r, $"{key}[{i}]")),
        };
        return new GgufValue(GgufValueType.Array, values, elem);
    }

    private static T[] Fill<T>(T[] array, Func<int, T> read)
    {
        for (int i = 0; i < array.Length; i++) array[i] = read(i);
        return array;
    }

    public GgufTensorInfo? FindTensor(string name) => _byName.GetValueOrDefault(name);

    public byte* TensorData(GgufTensorInfo t) => Map.Pointer + t.Offset;

    public string? GetString(string key) => Metadata.GetValueOrDefault(key)?.Value as string;

    public long? GetInteger(string key) => Metadata.GetValueOrDefault(key)?.AsInteger();

    public double? GetDouble(string key) => Metadata.GetValueOrDefault(key)?.AsDouble();

    public string[]? GetStringArray(string key) => Metadata.GetValueOrDefault(key)?.Value as string[];

    public float[]? GetFloatArray(string key) => Metadata.GetValueOrDefault(key)?.Value as float[];

    /// <summary>An integer array of any element width, widened to int (token types, ids).</summary>
    public int[]? GetIntArray(string key)
    {
        object? v = Metadata.GetValueOrDefault(key)?.Value;
        return v switch
        {
            int[] a => a,
            uint[] a => Array.ConvertAll(a, x => unchecked((int)x)),
            short[] a => Array.ConvertAll(a, x => (int)x),
            ushort[] a => Array.ConvertAll(a, x => (int)x),
            sbyte[] a => Array.ConvertAll(a, x => (int)x),
            byte[] a => Array.ConvertAll(a, x => (int)x),
            long[] a => Array.ConvertAll(a, x => checked((int)x)),
            _ => null,
        };
    }

    public string Describe(string key) => Metadata.TryGetValue(key, out GgufValue? v) ? v.ToString() : "(absent)";

    public void Dispose() => Map.Dispose();

    internal static string Utf8(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);
}

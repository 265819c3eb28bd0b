using System.Security.Cryptography;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Tests.Formats;

public class GgufFileTests
{
    public static TheoryData<string, string> Files => new()
    {
        { "stories260K.gguf", "models/gguf/stories260K/stories260K.gguf" },
        { "llama-2-tiny-random.gguf", "models/gguf/llama-2-tiny-random/llama-2-tiny-random.gguf" },
        { "ggml-vocab-llama-spm.gguf", "models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf" },
    };

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public unsafe void Matches_gguf_py_dump(string key, string relative)
    {
        string path = Fixtures.Path_(relative);
        using JsonDocument dump = JsonDocument.Parse(File.ReadAllText(Fixtures.Path_("reference/llamacpp/gguf_metadata_dump.json")));
        JsonElement expected = dump.RootElement.GetProperty(key);
        using GgufFile gguf = GgufFile.Open(path);

        Assert.Equal(3u, gguf.Version);
        JsonElement meta = expected.GetProperty("metadata");
        int checkedKeys = 0;
        foreach (JsonProperty p in meta.EnumerateObject())
        {
            if (p.Name.StartsWith("GGUF.", StringComparison.Ordinal)) continue;
            Assert.True(gguf.Metadata.ContainsKey(p.Name), $"missing key {p.Name}");
            GgufValue v = gguf.Metadata[p.Name];
            string type = p.Value.GetProperty("type").GetString()!;
            if (type == "ARRAY")
            {
                Assert.Equal(p.Value.GetProperty("len").GetInt32(), ((Array)v.Value).Length);
                if (p.Value.GetProperty("elem_type").GetString() == "STRING")
                {
                    string[] first = p.Value.GetProperty("first").EnumerateArray().Select(e => e.GetString()!).ToArray();
                    Assert.Equal(first, ((string[])v.Value).Take(first.Length));
                }
            }
            else if (type == "STRING") Assert.Equal(p.Value.GetProperty("value").GetString(), (string)v.Value);
            else if (type.StartsWith("FLOAT", StringComparison.Ordinal)) Assert.Equal(p.Value.GetProperty("value").GetDouble(), v.AsDouble()!.Value, 1e-9);
            else if (type == "BOOL") Assert.Equal(p.Value.GetProperty("value").GetBoolean(), (bool)v.Value);
            else Assert.Equal(p.Value.GetProperty("value").GetInt64(), v.AsInteger());
            checkedKeys++;
        }
        Assert.Equal(gguf.Metadata.Count, checkedKeys);

        JsonElement[] tensors = expected.GetProperty("tensors").EnumerateArray().ToArray();
        Assert.Equal(tensors.Length, gguf.Tensors.Count);
        foreach (JsonElement t in tensors)
        {
            GgufTensorInfo info = gguf.FindTensor(t.GetProperty("name").GetString()!)!;
            Assert.NotNull(info);
            Assert.Equal(t.GetProperty("type").GetString(), info.Type.ToString());
            Assert.Equal(t.GetProperty("shape_ne").EnumerateArray().Select(e => e.GetInt64()), info.Shape);
            Assert.Equal(t.GetProperty("n_bytes").GetInt64(), info.ByteSize);
            Assert.Equal(t.GetProperty("data_offset_abs").GetInt64(), info.Offset);
            byte[] hash = SHA256.HashData(new ReadOnlySpan<byte>(gguf.TensorData(info), (int)info.ByteSize));
            Assert.Equal(t.GetProperty("sha256").GetString(), Convert.ToHexStringLower(hash));
        }
    }
}

public class GgufRoundTripTests
{
    [Fact]
    public void Every_metadata_type_round_trips_in_v2_and_v3()
    {
        using TempDir d = new();
        string p = d.File("all.gguf");
        GgufWriter w = new();
        w.Set("u8", new GgufValue(GgufValueType.UInt8, (byte)200))
            .Set("i8", new GgufValue(GgufValueType.Int8, (sbyte)-5))
            .Set("u16", new GgufValue(GgufValueType.UInt16, (ushort)65000))
            .Set("i16", new GgufValue(GgufValueType.Int16, (short)-30000))
            .Set("u32", 4000000000u)
            .Set("i32", new GgufValue(GgufValueType.Int32, -2000000000))
            .Set("f32", 1.5f)
            .Set("bool", true)
            .Set("str", "héllo")
            .Set("u64", new GgufValue(GgufValueType.UInt64, ulong.MaxValue))
            .Set("i64", new GgufValue(GgufValueType.Int64, long.MinValue))
            .Set("f64", new GgufValue(GgufValueType.Float64, Math.PI))
            .Set("arr_str", ["a", "", "ünï"])
            .Set("arr_f32", [1f, -2f])
            .Set("arr_i32", [3, -4])
            .Set("arr_u8", new GgufValue(GgufValueType.Array, new byte[] { 1, 2, 3 }, GgufValueType.UInt8))
            .Set("arr_bool", new GgufValue(GgufValueType.Array, new[] { true, false }, GgufValueType.Bool))
            .Set("general.alignment", 64u);
        w.AddTensor("t", Cria.Tensors.DType.F32, [3], new byte[12]);
        w.Write(p);

        foreach (uint version in new uint[] { 3, 2 })
        {
            byte[] bytes = File.ReadAllBytes(p);
            BitConverter.GetBytes(version).CopyTo(bytes, 4);
            File.WriteAllBytes(p, bytes);
            using GgufFile g = GgufFile.Open(p);
            Assert.Equal(version, g.Version);
            Assert.Equal((byte)200, g.Metadata["u8"].Value);
            Assert.Equal((sbyte)-5, g.Metadata["i8"].Value);
            Assert.Equal((ushort)65000, g.Metadata["u16"].Value);
            Assert.Equal((short)-30000, g.Metadata["i16"].Value);
            Assert.Equal(4000000000u, g.Metadata["u32"].Value);
            Assert.Equal(-2000000000, g.Metadata["i32"].Value);
            Assert.Equal(1.5f, g.Metadata["f32"].Value);
            Assert.Equal(true, g.Metadata["bool"].Value);
            Assert.Equal("héllo", g.GetString("str"));
            Assert.Equal(ulong.MaxValue, g.Metadata["u64"].Value);
            Assert.Equal(long.MinValue, g.Metadata["i64"].Value);
            Assert.Equal(Math.PI, g.Metadata["f64"].Value);
            Assert.Equal(["a", "", "ünï"], g.GetStringArray("arr_str")!);
            Assert.Equal([1f, -2f], g.GetFloatArray("arr_f32")!);
            Assert.Equal([3, -4], g.GetIntArray("arr_i32")!);
            Assert.Equal([1, 2, 3], g.GetIntArray("arr_u8")!);
            Assert.Equal([true, false], (bool[])g.Metadata["arr_bool"].Value);
            Assert.Equal(64, g.Alignment);
            Assert.Equal(0, g.Tensors[0].Offset % 64);
        }
    }
}

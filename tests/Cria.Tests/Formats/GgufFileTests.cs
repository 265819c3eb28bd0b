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

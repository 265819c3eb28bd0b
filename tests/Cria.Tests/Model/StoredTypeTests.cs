using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>
/// stories260K re-stored as F16/BF16 safetensors, sharded safetensors and Q8_0 GGUF: the engine reads each
/// through the loaders and must match the float64 reference on the same (rounded) weights.
/// </summary>
public class StoredTypeTests
{
    private static int[] Ids => [1, 403, 407, 261, 378, 432, 383, 286];

    private static void AssertMatchesReference(string path)
    {
        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: false);
        double[][] expected = ReferenceForward.Logits(m.Config, m.Weights, Ids);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache();
        int vocab = m.Config.VocabSize;
        float[] logits = new float[Ids.Length * vocab];
        model.Forward(Ids, cache, logits, allLogits: true);
        for (int t = 0; t < Ids.Length; t++)
            for (int v = 0; v < vocab; v++)
                Assert.True(Math.Abs(logits[t * vocab + v] - expected[t][v]) <= 1e-4, $"{path}: t={t} v={v}");
    }

    private static string HfCopy(TempDir d, DType type, bool sharded)
    {
        string src = Fixtures.Path_("models/stories260K-hf");
        string dst = Path.Combine(d.Path, $"hf-{type}");
        Directory.CreateDirectory(dst);
        foreach (string f in Directory.GetFiles(src).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        using MappedFile map = MappedFile.Open(Path.Combine(src, "model.safetensors"));
        Dictionary<string, TensorEntry> tensors = SafetensorsFile.Read(map);
        SafetensorsWriter[] shards = [new(), new()];
        Dictionary<string, string> index = new();
        int i = 0;
        foreach (TensorEntry e in tensors.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            float[] values = new float[e.Elements];
            unsafe { Dequantize.Row(e.Type, e.Pointer, values); }
            int shard = sharded ? i++ % 2 : 0;
            shards[shard].Add(e.Name, type, e.Shape, values);
            index[e.Name] = $"model-0000{shard + 1}-of-00002.safetensors";
        }
        if (!sharded)
        {
            shards[0].Write(Path.Combine(dst, "model.safetensors"));
            return dst;
        }
        for (int s = 0; s < 2; s++) shards[s].Write(Path.Combine(dst, $"model-0000{s + 1}-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(dst, "model.safetensors.index.json"),
            System.Text.Json.JsonSerializer.Serialize(new { metadata = new { }, weight_map = index }));
        return dst;
    }

    [SkippableTheory]
    [InlineData(DType.F16, false)]
    [InlineData(DType.BF16, false)]
    [InlineData(DType.F32, true)]
    public void Hf_folder_in_other_types(DType type, bool sharded)
    {
        using TempDir d = new();
        AssertMatchesReference(HfCopy(d, type, sharded));
    }

    [SkippableFact]
    public void Sharded_f32_equals_the_single_file()
    {
        using TempDir d = new();
        string sharded = HfCopy(d, DType.F32, sharded: true);
        float[] Logits(string p)
        {
            using LoadedModel m = ModelLoader.Load(p, loadTokenizer: false);
            using LlamaModel model = new(m);
            using KvCache cache = model.CreateCache();
            float[] l = new float[m.Config.VocabSize];
            model.Forward(Ids, cache, l);
            return l;
        }
        Assert.Equal(Logits(Fixtures.Path_("models/stories260K-hf")), Logits(sharded));
    }

    [SkippableTheory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.Q5_1)]
    [InlineData(DType.F16)]
    public unsafe void Gguf_with_quantized_matrices(DType type)
    {
        string src = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        using TempDir d = new();
        string dst = d.File($"stories260K-{type}.gguf");
        QuantizedGguf.Write(src, dst, type);
        using (GgufFile check = GgufFile.Open(dst)) Assert.Contains(check.Tensors, t => t.Type == type);
        AssertMatchesReference(dst);
    }
}

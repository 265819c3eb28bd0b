using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Tests.Peers;

namespace Cria.Tests.Cli;

/// <summary>`cria quantize` end to end: the file it writes loads in llama.cpp, which decodes the same greedy ids as Cria.</summary>
public class QuantizeCommandTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];

    [SkippableTheory]
    [InlineData("q8_0", DType.Q8_0)]
    [InlineData("q4_0", DType.Q4_0)]
    public void Output_loads_in_llama_cpp_with_the_same_greedy_ids(string name, DType type)
    {
        string src = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        using TempDir d = new();
        string dst = d.File($"stories260K-{name}.gguf");
        CliRunner.Result r = CliRunner.Run("quantize", src, dst, "--type", name);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"as {type}", r.Stdout);
        using (GgufFile g = GgufFile.Open(dst))
        {
            Assert.Contains(g.Tensors, t => t.Type == type);
            Assert.All(g.Tensors, t => Assert.True(t.Type == type || t.Type == DType.F32, $"{t.Name}: {t.Type}"));
            Assert.NotNull(g.GetStringArray("tokenizer.ggml.tokens"));
        }

        using LlamaCppPeer peer = LlamaCppPeer.Open(dst, 64);
        int[] expected = peer.Greedy(Prompt, 32);
        using LoadedModel m = ModelLoader.Load(dst, loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(64);
        float[] logits = new float[m.Config.VocabSize];
        model.Forward(Prompt, cache, logits);
        int[] actual = LogitsComparison.ContinueGreedy(model, cache, logits, expected.Length);
        Assert.Equal(expected, actual);
    }

    [SkippableFact]
    public void Bad_type_and_non_gguf_input_fail_with_one_line()
    {
        string src = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        using TempDir d = new();
        CliRunner.Result bad = CliRunner.Run("quantize", src, d.File("x.gguf"), "--type", "q9");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("unknown --type 'q9'", bad.Stderr);
        string text = d.File("notes.txt");
        File.WriteAllText(text, "not a model");
        CliRunner.Result notModel = CliRunner.Run("quantize", text, d.File("y.gguf"), "--type", "q8_0");
        Assert.Equal(1, notModel.ExitCode);
        Assert.StartsWith("error: ", notModel.Stderr);
        Assert.Contains("notes.txt", notModel.Stderr);
        CliRunner.Result same = CliRunner.Run("quantize", src, src, "--type", "q8_0");
        Assert.Equal(1, same.ExitCode);
        Assert.False(File.Exists(d.File("x.gguf")) || File.Exists(d.File("y.gguf")));
    }
}

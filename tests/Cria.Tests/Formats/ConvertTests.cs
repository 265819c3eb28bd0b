namespace Cria.Tests.Formats;

/// <summary>
/// `cria convert` between llama2.c .bin, GGUF and Hugging Face folders: every converted stories260K must give run.c's
/// logits (the q/k row permutation between RoPE layouts is what these catch) and keep its tokenizer.
/// </summary>
public class ConvertTests
{
    private const string Bin = "models/stories260K/stories260K.bin";
    private const string Hf = "models/stories260K-hf";
    private const string Gguf = "models/gguf/stories260K/stories260K.gguf";

    private static void Convert(string input, string output, params string[] extra)
    {
        CliRunner.Result r = CliRunner.Run(["convert", input, output, .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith($"wrote {output}", r.Stdout);
    }

    private static float AssertRunCLogits(string model, TempDir d, float tolerance = 1e-4f)
    {
        string ids = File.ReadAllText(Fixtures.Path_("reference/stories260K/logits_prompt_once_upon_a_time.ids")).Trim();
        Assert.Equal("1 403 407 261 378", ids);
        byte[] expected = File.ReadAllBytes(Fixtures.Path_("reference/stories260K/logits_prompt_once_upon_a_time.run_c.f32"));
        string outFile = d.File(Path.GetFileName(model) + ".logits.f32");
        CliRunner.Result r = CliRunner.Run("logits", model, "--ids", ids, "--out", outFile);
        Assert.True(r.ExitCode == 0, r.Stderr);
        byte[] actual = File.ReadAllBytes(outFile);
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i += 4)
            max = Math.Max(max, Math.Abs(BitConverter.ToSingle(expected, i) - BitConverter.ToSingle(actual, i)));
        Assert.True(max <= tolerance, $"{model}: max abs diff {max} from run.c");
        return max;
    }

    private static void AssertTokenizes(string model)
    {
        CliRunner.Result r = CliRunner.Run("tokenize", model, "Once upon a time");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("1 403 407 261 378", r.Stdout.Trim());
    }

    [SkippableFact]
    public void Bin_to_gguf_keeps_logits_and_carries_the_tokenizer()
    {
        using TempDir d = new();
        string output = d.File("stories.gguf");
        Convert(Fixtures.Path_(Bin), output);
        AssertRunCLogits(output, d);
        AssertTokenizes(output);
        // The tokenizer travels inside the file: nothing beside it to find.
        Assert.Single(Directory.GetFiles(d.Path, "*.gguf"));
        Assert.Empty(Directory.GetFiles(d.Path, "*.bin"));
    }

    [SkippableFact]
    public void Bin_to_hf_folder_permutes_qk_and_copies_the_tokenizer()
    {
        using TempDir d = new();
        string output = d.File("stories-hf");
        Convert(Fixtures.Path_(Bin), output);
        Assert.True(File.Exists(Path.Combine(output, "config.json")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.bin")));
        AssertRunCLogits(output, d);
        AssertTokenizes(output);
    }

    [SkippableFact]
    public void Hf_folder_to_bin_permutes_back()
    {
        using TempDir d = new();
        string output = d.File("stories.bin");
        Convert(Fixtures.Path_(Hf), output);
        AssertRunCLogits(output, d);
    }

    [SkippableFact]
    public void Gguf_to_hf_folder_keeps_logits_and_tokenizer()
    {
        using TempDir d = new();
        string output = d.File("from-gguf");
        Convert(Fixtures.Path_(Gguf), output);
        AssertRunCLogits(output, d);
        AssertTokenizes(output);
    }

    [SkippableFact]
    public void F16_hf_then_gguf_stays_within_f16_rounding()
    {
        using TempDir d = new();
        string hf = d.File("f16-hf"), gguf = d.File("f16.gguf");
        Convert(Fixtures.Path_(Bin), hf, "--type", "f16");
        Assert.Contains("\"torch_dtype\": \"float16\"", File.ReadAllText(Path.Combine(hf, "config.json")));
        Convert(hf, gguf, "--type", "f16");
        // F16 weights move the logits by rounding only; wrong q/k rows would move them by whole units.
        float viaHf = AssertRunCLogits(hf, d, 2e-2f), viaGguf = AssertRunCLogits(gguf, d, 2e-2f);
        Assert.Equal(viaHf, viaGguf, 1e-5f);
        AssertTokenizes(gguf);
    }

    [SkippableFact]
    public void Bin_target_with_f16_is_refused_and_writes_nothing()
    {
        using TempDir d = new();
        string output = d.File("x.bin");
        CliRunner.Result r = CliRunner.Run("convert", Fixtures.Path_(Hf), output, "--type", "f16");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("F32 weights only", r.Stderr);
        Assert.False(File.Exists(output));
    }

    [SkippableFact]
    public void Unknown_type_and_missing_input_are_clear_errors()
    {
        using TempDir d = new();
        CliRunner.Result r = CliRunner.Run("convert", Fixtures.Path_(Bin), d.File("x.gguf"), "--type", "q9");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown --type 'q9'", r.Stderr);
        r = CliRunner.Run("convert", d.File("nope.gguf"), d.File("y.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("nope.gguf", r.Stderr);
        Assert.False(File.Exists(d.File("y.gguf")));
    }
}

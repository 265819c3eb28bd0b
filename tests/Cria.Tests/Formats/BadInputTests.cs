using System.Text;
using Cria.Formats;
using Cria.Tensors;

namespace Cria.Tests.Formats;

/// <summary>
/// Broken model files give one line naming the file and the field, exit code 1, and neither crash, hang
/// nor allocate absurdly (must-show 6 of the engine issue). Each case runs the real CLI.
/// </summary>
public class BadInputTests
{
    private static string Stories(string rel = "models/gguf/stories260K/stories260K.gguf") => Fixtures.Path_(rel);

    private static void AssertFails(string path, params string[] expectedFragments)
    {
        CliRunner.Result r = CliRunner.Run("info", path);
        Assert.Equal(1, r.ExitCode);
        string err = r.Stderr.Trim();
        Assert.DoesNotContain('\n', err);
        Assert.StartsWith("error: ", err);
        Assert.Contains(Path.GetFileName(path), err);
        foreach (string f in expectedFragments) Assert.Contains(f, err);
        Assert.DoesNotContain("Exception", err);
    }

    private static void WriteRawGguf(string path, uint version, Action<BinaryWriter> body)
    {
        using BinaryWriter w = new(File.Create(path), Encoding.UTF8);
        w.Write(GgufFile.Magic);
        w.Write(version);
        body(w);
    }

    private static void Str(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    [SkippableFact]
    public void Truncated_gguf_names_the_tensor_past_the_end()
    {
        byte[] all = File.ReadAllBytes(Stories());
        using TempDir d = new();
        string p = d.File("truncated.gguf");
        File.WriteAllBytes(p, all.AsSpan(0, all.Length / 2).ToArray());
        AssertFails(p, "tensor '", "past the end of the file");
    }

    [SkippableFact]
    public void Gguf_cut_inside_the_header_is_reported_as_truncated()
    {
        byte[] all = File.ReadAllBytes(Stories());
        using TempDir d = new();
        string p = d.File("header-cut.gguf");
        File.WriteAllBytes(p, all.AsSpan(0, 300).ToArray());
        AssertFails(p, "truncated");
    }

    [Fact]
    public void Wrong_magic()
    {
        using TempDir d = new();
        string p = d.File("wrong-magic.gguf");
        File.WriteAllBytes(p, Encoding.ASCII.GetBytes("GGUX" + new string('\0', 60)));
        // Not GGUF: read as llama2.c, whose header then makes no sense; either way the file and field are named.
        AssertFails(p, ": ");
    }

    [Fact]
    public void Unknown_gguf_version()
    {
        using TempDir d = new();
        string p = d.File("version.gguf");
        WriteRawGguf(p, 7, w => { w.Write(0UL); w.Write(0UL); });
        AssertFails(p, "version", "unsupported GGUF version 7");
    }

    [Fact]
    public void Huge_string_length_in_metadata_does_not_allocate()
    {
        using TempDir d = new();
        string p = d.File("huge-string.gguf");
        WriteRawGguf(p, 3, w =>
        {
            w.Write(0UL);
            w.Write(1UL);
            w.Write(ulong.MaxValue / 2); // key length
            w.Write(new byte[32]);
        });
        AssertFails(p, "metadata[0].key", "cannot fit");
    }

    [Fact]
    public void Huge_tensor_count_is_rejected_before_reading()
    {
        using TempDir d = new();
        string p = d.File("huge-count.gguf");
        WriteRawGguf(p, 3, w => { w.Write(ulong.MaxValue); w.Write(0UL); });
        AssertFails(p, "tensor_count");
    }

    [Fact]
    public void Huge_array_length_is_rejected()
    {
        using TempDir d = new();
        string p = d.File("huge-array.gguf");
        WriteRawGguf(p, 3, w =>
        {
            w.Write(0UL);
            w.Write(1UL);
            Str(w, "tokenizer.ggml.tokens");
            w.Write((uint)GgufValueType.Array);
            w.Write((uint)GgufValueType.String);
            w.Write(1UL << 40);
        });
        AssertFails(p, "tokenizer.ggml.tokens.length");
    }

    [Fact]
    public void Unsupported_tensor_type_is_named()
    {
        using TempDir d = new();
        string p = d.File("iq2.gguf");
        WriteRawGguf(p, 3, w =>
        {
            w.Write(1UL);
            w.Write(0UL);
            Str(w, "token_embd.weight");
            w.Write(2u);
            w.Write(256UL);
            w.Write(4UL);
            w.Write(16u); // IQ2_XXS
            w.Write(0UL);
            while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
            w.Write(new byte[4096]);
        });
        AssertFails(p, "token_embd.weight", "IQ2_XXS");
    }

    [Fact]
    public void Tensor_offset_past_end_of_file()
    {
        using TempDir d = new();
        string p = d.File("offset.gguf");
        WriteRawGguf(p, 3, w =>
        {
            w.Write(1UL);
            w.Write(0UL);
            Str(w, "token_embd.weight");
            w.Write(1u);
            w.Write(64UL);
            w.Write(0u);
            w.Write(1UL << 40);
            while (w.BaseStream.Position % 32 != 0) w.Write((byte)0);
            w.Write(new byte[256]);
        });
        AssertFails(p, "token_embd.weight", "offset", "past the end");
    }

    [SkippableFact]
    public void Missing_tensor_is_named()
    {
        using TempDir d = new();
        string p = d.File("missing.gguf");
        GgufFixtureEditor.Copy(Stories(), name => name != "blk.3.ffn_up.weight").Write(p);
        AssertFails(p, "blk.3.ffn_up.weight", "missing");
    }

    [SkippableFact]
    public void Duplicate_tensor_is_named()
    {
        using TempDir d = new();
        string p = d.File("duplicate.gguf");
        GgufWriter w = GgufFixtureEditor.Copy(Stories());
        GgufFixtureEditor.AddZeros(w, "blk.0.attn_q.weight", DType.F32, [64, 64]);
        w.Write(p);
        AssertFails(p, "blk.0.attn_q.weight", "twice");
    }

    [SkippableFact]
    public void Shape_that_disagrees_with_config()
    {
        using TempDir d = new();
        string p = d.File("shape.gguf");
        GgufWriter w = GgufFixtureEditor.Copy(Stories());
        w.Set("llama.feed_forward_length", 128u);
        w.Write(p);
        AssertFails(p, "blk.0.ffn_gate.weight", "shape", "[128, 64]");
    }

    [SkippableFact]
    public void Unsupported_architecture_gguf()
    {
        using TempDir d = new();
        string p = d.File("arch.gguf");
        GgufWriter w = GgufFixtureEditor.Copy(Stories());
        w.Set("general.architecture", "mamba");
        w.Write(p);
        AssertFails(p, "general.architecture", "mamba");
    }

    [SkippableFact]
    public void Truncated_llama2c_checkpoint()
    {
        byte[] all = File.ReadAllBytes(Stories("models/stories260K/stories260K.bin"));
        using TempDir d = new();
        string p = d.File("model.bin");
        File.WriteAllBytes(p, all.AsSpan(0, all.Length - 1000).ToArray());
        AssertFails(p, "truncated");
    }

    [Fact]
    public void Llama2c_header_whose_sizes_overflow()
    {
        using TempDir d = new();
        string p = d.File("overflow.bin");
        using (BinaryWriter w = new(File.Create(p)))
        {
            foreach (int v in new[] { 1 << 20, 1 << 22, 1000, 1 << 12, 1 << 12, 1 << 24, 1 << 24 }) w.Write(v);
            w.Write(new byte[64]);
        }
        AssertFails(p);
    }

    [Fact]
    public void Llama2c_file_shorter_than_its_header()
    {
        using TempDir d = new();
        string p = d.File("short.bin");
        File.WriteAllBytes(p, new byte[10]);
        AssertFails(p, "header");
    }

    private static string CopyHf(TempDir d)
    {
        string src = Fixtures.Path_("models/stories260K-hf");
        string dst = Path.Combine(d.Path, "hf");
        Directory.CreateDirectory(dst);
        foreach (string f in Directory.GetFiles(src)) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        return dst;
    }

    [SkippableFact]
    public void Safetensors_header_length_that_overflows()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        byte[] st = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));
        BitConverter.GetBytes(ulong.MaxValue - 3).CopyTo(st, 0);
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), st);
        AssertFails(Path.Combine(dir, "model.safetensors"), "header_length");
    }

    [SkippableFact]
    public void Safetensors_unsupported_dtype()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        string p = Path.Combine(dir, "model.safetensors");
        byte[] st = File.ReadAllBytes(p);
        int len = (int)BitConverter.ToUInt64(st, 0);
        string header = Encoding.UTF8.GetString(st, 8, len);
        int at = header.IndexOf("\"F32\"", StringComparison.Ordinal);
        header = header[..at] + "\"I32\"" + header[(at + 5)..];
        Encoding.UTF8.GetBytes(header).CopyTo(st, 8);
        File.WriteAllBytes(p, st);
        AssertFails(p, "dtype", "I32");
    }

    [SkippableFact]
    public void Safetensors_data_past_end()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        string p = Path.Combine(dir, "model.safetensors");
        byte[] st = File.ReadAllBytes(p);
        File.WriteAllBytes(p, st.AsSpan(0, st.Length - 4096).ToArray());
        AssertFails(p, "data_offsets");
    }

    [SkippableFact]
    public void Hf_config_missing_field()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        string cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"hidden_size\": 64,", ""));
        AssertFails(dir, "config.json", "hidden_size");
    }

    [SkippableFact]
    public void Hf_config_unsupported_architecture()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        string cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("LlamaForCausalLM", "GPT2LMHeadModel"));
        AssertFails(dir, "architectures", "GPT2LMHeadModel");
    }

    [SkippableFact]
    public void Hf_config_that_is_not_json()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{ \"hidden_size\": 64,\n  oops }");
        AssertFails(dir, "config.json", "line 2");
    }

    [SkippableFact]
    public void Hf_shape_disagrees_with_config()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        string cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"intermediate_size\": 172", "\"intermediate_size\": 170"));
        AssertFails(dir, "gate_proj", "shape");
    }

    [SkippableFact]
    public void Sharded_index_naming_a_missing_shard()
    {
        using TempDir d = new();
        string dir = CopyHf(d);
        File.Move(Path.Combine(dir, "model.safetensors"), Path.Combine(dir, "model-00001-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"),
            "{\"weight_map\": {\"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\", \"model.norm.weight\": \"model-00002-of-00002.safetensors\"}}");
        AssertFails(dir, "model-00002-of-00002.safetensors", "does not exist");
    }
}

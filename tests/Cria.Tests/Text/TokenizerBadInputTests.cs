using Cria.Formats;
using Cria.Text;

namespace Cria.Tests.Text;

public class TokenizerBadInputTests
{
    [SkippableTheory]
    [InlineData(2, "max_token_length")]
    [InlineData(4, "token[0]")]
    [InlineData(3000, "token[")]
    public void Truncated_tokenizer_bin_names_file_and_field(int keep, string field)
    {
        byte[] bytes = File.ReadAllBytes(Fixtures.Path_("models/stories260K/tok512.bin"));
        using TempDir dir = new();
        string path = dir.File("tokenizer.bin");
        File.WriteAllBytes(path, bytes[..keep]);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.FromLlama2cBin(path, 512));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(field, e.Field);
        Assert.Contains(path, e.Message);
    }

    [SkippableFact]
    public void Tokenizer_bin_with_a_corrupt_length_is_refused()
    {
        byte[] bytes = File.ReadAllBytes(Fixtures.Path_("models/stories260K/tok512.bin"));
        BitConverter.GetBytes(-5).CopyTo(bytes, 8); // length of token 0
        using TempDir dir = new();
        string path = dir.File("tokenizer.bin");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.FromLlama2cBin(path, 512));
        Assert.Equal("token[0].length", e.Field);
    }

    [Theory]
    [InlineData("{ \"model\": { \"type\": \"BPE\", \"vocab\": ", "json")]
    [InlineData("not json at all", "json")]
    [InlineData("[1, 2, 3]", "(root)")]
    [InlineData("{ \"version\": \"1.0\" }", "model")]
    [InlineData("{ \"model\": { \"type\": \"BPE\", \"merges\": [] } }", "model.vocab")]
    [InlineData("{ \"model\": { \"type\": \"BPE\", \"vocab\": [] } }", "model.vocab")]
    [InlineData("{ \"model\": { \"type\": \"Unigram\", \"vocab\": [] } }", "model.type")]
    [InlineData("{ \"model\": { \"type\": \"BPE\", \"vocab\": { \"a\": \"x\" } } }", "model.vocab[\"a\"]")]
    [InlineData("{ \"model\": { \"type\": \"BPE\", \"vocab\": { \"a\": 0 }, \"merges\": [ 5 ] } }", "model.merges[0]")]
    public void Bad_tokenizer_json_names_file_and_field(string json, string field)
    {
        using TempDir dir = new();
        string path = dir.File("tokenizer.json", json);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void Bad_tokenizer_config_json_is_reported_against_that_file()
    {
        using TempDir dir = new();
        dir.File("tokenizer.json", TinyByteLevelVocab.TokenizerJson(TinyByteLevelVocab.Gpt2PreTokenizer));
        string config = dir.File("tokenizer_config.json", "{ oops");
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.FromHfFolder(dir.Path));
        Assert.Equal(config, e.FilePath);
    }

    [Theory]
    [InlineData(new byte[] { 0x0A, 0x05, 0x0A, 0x10, 0x41 }, "ModelProto.pieces[0]")] // piece length 16 runs past the end
    [InlineData(new byte[] { 0x08 }, "ModelProto.field 1")]                              // varint cut short
    [InlineData(new byte[] { 0x0A, 0x03, 0x0A, 0x01, 0x41 }, "trainer_spec.model_type")] // one piece, model type left at UNIGRAM
    [InlineData(new byte[0], "ModelProto.pieces")]
    public void Bad_sentencepiece_model_names_file_and_field(byte[] bytes, string field)
    {
        using TempDir dir = new();
        string path = dir.File("tokenizer.model");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(field, e.Field);
    }

    [SkippableFact]
    public void Gguf_without_a_tokenizer_is_refused()
    {
        using TempDir dir = new();
        string path = dir.File("empty.gguf");
        GgufMetadataWriter.Write(path, [("general.architecture", "llama")]);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.Load(path));
        Assert.Equal("tokenizer.ggml.model", e.Field);
    }

    [Fact]
    public void Gguf_with_mismatched_arrays_is_refused()
    {
        using TempDir dir = new();
        string path = dir.File("bad.gguf");
        GgufMetadataWriter.Write(path,
        [
            ("tokenizer.ggml.model", "llama"),
            ("tokenizer.ggml.tokens", new[] { "<unk>", "<s>", "</s>" }),
            ("tokenizer.ggml.scores", new[] { 0f, 0f }),
        ]);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.Load(path));
        Assert.Equal("tokenizer.ggml.scores", e.Field);
    }
}

using Cria.Formats;
using Cria.Text;

namespace Cria.Tests.Text;

/// <summary>Every case of tokenizer_encode_reference.json, through each file format that carries the vocabulary.</summary>
public class SentencePieceReferenceTests
{
    public static TheoryData<string, string> RunCSources => new()
    {
        { "tok512", "models/stories260K/tok512.bin" },
        { "tok512", "models/stories260K/tok512.model" },
        { "llama2_32000", "models/llama2-tokenizer/tokenizer.model" },
    };

    [SkippableTheory]
    [MemberData(nameof(RunCSources))]
    public void Reproduces_run_c_encode(string vocab, string relative)
    {
        string path = Fixtures.Path_(relative);
        ITokenizer tok = relative.EndsWith(".bin", StringComparison.Ordinal)
            ? TokenizerLoader.FromLlama2cBin(path, 512)
            : TokenizerLoader.FromSentencePieceModel(path);
        AssertAll(EncodeReference.For(vocab), c => c.RunC, text => tok.Encode(text, addBos: true, parseSpecial: false));
    }

    public static TheoryData<string, string> LlamaCppSources => new()
    {
        { "tok512", "models/gguf/stories260K/stories260K.gguf" },
        { "llama2_32000", "models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf" },
        { "llama2_32000", "models/gguf/llama-2-tiny-random/llama-2-tiny-random.gguf" },
    };

    [SkippableTheory]
    [MemberData(nameof(LlamaCppSources))]
    public void Reproduces_llama_cpp_tokenize_with_special_tokens(string vocab, string relative)
    {
        using GgufFile gguf = GgufFile.Open(Fixtures.Path_(relative));
        ITokenizer tok = TokenizerLoader.FromGguf(gguf);
        var cases = EncodeReference.For(vocab).ToList();
        // The reference was computed with the file named in each case; the other 32000-vocab GGUF holds the same vocabulary.
        Assert.All(cases, c => Assert.Equal(vocab == "tok512" ? relative : "models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf", c.LlamaCppGguf));
        AssertAll(cases, c => c.LlamaCpp, text => tok.Encode(text, addBos: true, parseSpecial: true));
    }

    [SkippableTheory]
    [MemberData(nameof(LlamaCppSources))]
    public void Without_special_parsing_gguf_matches_run_c(string vocab, string relative)
    {
        using GgufFile gguf = GgufFile.Open(Fixtures.Path_(relative));
        ITokenizer tok = TokenizerLoader.FromGguf(gguf);
        AssertAll(EncodeReference.For(vocab), c => c.RunC, text => tok.Encode(text, addBos: true, parseSpecial: false));
    }

    private static void AssertAll(IEnumerable<EncodeReference.Case> cases, Func<EncodeReference.Case, int[]> expected, Func<string, int[]> encode)
    {
        List<string> failures = new();
        int n = 0;
        foreach (EncodeReference.Case c in cases)
        {
            n++;
            int[] got = encode(c.Text);
            if (!got.SequenceEqual(expected(c)))
                failures.Add($"{System.Text.Json.JsonSerializer.Serialize(c.Text)}: got {EncodeReference.Show(got)} want {EncodeReference.Show(expected(c))}");
        }
        Assert.Equal(17, n);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

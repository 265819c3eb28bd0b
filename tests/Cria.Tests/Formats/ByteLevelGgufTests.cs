using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Tests.Peers;
using Cria.Text;
using static Cria.Tests.Text.TinyByteLevelVocab;

namespace Cria.Tests.Formats;

/// <summary>
/// A model whose tokenizer.json is byte-level BPE, converted or quantized to GGUF: the tokenizer is written as
/// tokenizer.ggml.* (model gpt2, merges, pre-tokenizer name) and both Cria and llama.cpp rebuild the same encodings;
/// converted back to a Hugging Face folder it becomes a tokenizer.json again.
/// </summary>
public class ByteLevelGgufTests
{
    private static readonly string[] Texts =
    [
        "", " the café", "the lower <|im_start|>low", "Hello world  123456 it's\n\nIT'S", "héllo wörld [MASK]!", "<|endoftext|> the",
    ];

    /// <summary>stories260K's weights (vocabulary 512) with the tiny byte-level vocabulary padded to 512 entries.</summary>
    private static string Folder(TempDir d, string preTokenizer, bool ignoreMerges)
    {
        string src = Fixtures.Path_("models/stories260K-hf");
        string dir = d.File("byte-level-hf");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        JsonNode config = JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!;
        config["bos_token_id"] = EndOfText;
        config["eos_token_id"] = ImStart;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        const string post = """
            { "type": "TemplateProcessing",
              "single": [ { "SpecialToken": { "id": "<|endoftext|>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } } ],
              "pair": [], "special_tokens": { "<|endoftext|>": { "id": "<|endoftext|>", "ids": [264], "tokens": ["<|endoftext|>"] } } }
            """;
        JsonNode json = JsonNode.Parse(TokenizerJson(preTokenizer, ignoreMerges, postProcessor: post))!;
        JsonObject vocab = json["model"]!["vocab"]!.AsObject();
        // Entries no merge builds: they fill the vocabulary to the model's 512 rows without changing any encoding.
        for (int id = CafeWhole + 1; id < 512; id++) vocab[$"unused{id}"] = id;
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{ "eos_token": "<|im_start|>" }""");
        return dir;
    }

    private static ITokenizer TokenizerOf(string path)
    {
        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: true);
        return m.Tokenizer!;
    }

    private static void AssertSameEncodings(ITokenizer expected, ITokenizer actual)
    {
        Assert.Equal(expected.VocabSize, actual.VocabSize);
        Assert.Equal(expected.BosId, actual.BosId);
        Assert.Equal(expected.EosIds, actual.EosIds);
        Assert.Equal(expected.AddBos, actual.AddBos);
        foreach (string text in Texts)
            foreach (bool special in new[] { false, true })
                Assert.True(expected.Encode(text, true, special).SequenceEqual(actual.Encode(text, true, special)), $"'{text}' special={special}");
        for (int id = 0; id < expected.VocabSize; id++) Assert.Equal(expected.TokenBytes(id, -1), actual.TokenBytes(id, -1));
    }

    [SkippableTheory]
    [InlineData("llama3", "llama-bpe", true)]
    [InlineData("gpt2", "gpt-2", false)]
    public void Convert_and_quantize_write_a_gpt2_vocabulary_that_reloads_with_identical_encodings(string family, string pre, bool ignoreMerges)
    {
        using TempDir d = new();
        string hf = Folder(d, family == "gpt2" ? Gpt2PreTokenizer : SplitThenByteLevel(PreTokenizerPatterns.Llama3), ignoreMerges);
        ITokenizer original = TokenizerOf(hf);
        Assert.IsType<ByteLevelBpeTokenizer>(((LoadedTokenizer)original).Tokenizer);

        string gguf = d.File("f32.gguf"), q8 = d.File("q8.gguf");
        ConvertSummary s = ModelConverter.Convert(hf, gguf);
        Assert.True(s.TokenizerCarried, s.TokenizerProblem);
        GgufQuantizer.Quantize(hf, q8, DType.Q8_0);
        using (GgufFile g = GgufFile.Open(gguf))
        {
            Assert.Equal("gpt2", g.GetString("tokenizer.ggml.model"));
            Assert.Equal(pre, g.GetString("tokenizer.ggml.pre"));
            Assert.Equal(Merges.Select(m => m.Left + " " + m.Right), g.GetStringArray("tokenizer.ggml.merges"));
            Assert.Equal(512, g.GetStringArray("tokenizer.ggml.tokens")!.Length);
            Assert.Equal((int)TokenType.Control, g.GetIntArray("tokenizer.ggml.token_type")![ImStart]);
            Assert.Equal(EndOfText, g.GetInteger("tokenizer.ggml.bos_token_id"));
            Assert.Equal(ImStart, g.GetInteger("tokenizer.ggml.eos_token_id"));
        }
        AssertSameEncodings(original, TokenizerOf(gguf));
        AssertSameEncodings(original, TokenizerOf(q8));

        // And back to a Hugging Face folder: the GGUF vocabulary is written as tokenizer.json + tokenizer_config.json.
        string back = d.File("back-hf");
        ConvertSummary b = ModelConverter.Convert(gguf, back);
        Assert.True(b.TokenizerCarried);
        Assert.True(File.Exists(Path.Combine(back, "tokenizer.json")));
        AssertSameEncodings(original, TokenizerOf(back));
    }

    [SkippableFact]
    public void Llama_cpp_loads_the_converted_vocabulary_and_encodes_as_cria()
    {
        using TempDir d = new();
        string hf = Folder(d, SplitThenByteLevel(PreTokenizerPatterns.Llama3), ignoreMerges: true);
        string gguf = d.File("llama3-vocab.gguf");
        ModelConverter.Convert(hf, gguf);
        ITokenizer cria = TokenizerOf(gguf);
        using LlamaCppPeer peer = LlamaCppPeer.Open(gguf, 32);
        Assert.Equal(512, peer.VocabSize);
        foreach (string text in Texts.Where(t => t.Length > 0))
            foreach (bool special in new[] { false, true })
                Assert.True(cria.Encode(text, true, special).SequenceEqual(peer.Tokenize(text, true, special)),
                    $"'{text}' special={special}: Cria {string.Join(' ', cria.Encode(text, true, special))}, llama.cpp {string.Join(' ', peer.Tokenize(text, true, special))}");
    }

    [SkippableFact]
    public void A_pre_tokenizer_llama_cpp_cannot_name_is_reported_not_carried()
    {
        using TempDir d = new();
        string hf = Folder(d, SplitThenByteLevel(@"\p{L}+|\s+|."), ignoreMerges: false);
        ConvertSummary s = ModelConverter.Convert(hf, d.File("x.gguf"));
        Assert.False(s.TokenizerCarried);
        Assert.Contains("no tokenizer.ggml.pre name", s.TokenizerProblem);
        using GgufFile g = GgufFile.Open(d.File("x.gguf"));
        Assert.Null(g.GetString("tokenizer.ggml.model"));
    }
}

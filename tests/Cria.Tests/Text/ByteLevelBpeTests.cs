using System.Text;
using Cria.Formats;
using Cria.Text;
using static Cria.Tests.Text.TinyByteLevelVocab;

namespace Cria.Tests.Text;

public class ByteLevelBpeTests
{
    private static LoadedTokenizer FromJson(TempDir dir, string json, string? tokenizerConfig = null)
    {
        dir.File("tokenizer.json", json);
        if (tokenizerConfig != null) dir.File("tokenizer_config.json", tokenizerConfig);
        return TokenizerLoader.FromHfFolder(dir.Path);
    }

    private static string Decode(ITokenizer tok, int[] ids) => SentencePieceDecodeTests.Decode(tok, ids);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merges_in_rank_order_within_each_word(bool mergesAsPairs)
    {
        using TempDir dir = new();
        ITokenizer tok = FromJson(dir, TokenizerJson(Gpt2PreTokenizer, mergesAsPairs: mergesAsPairs));
        Assert.IsType<ByteLevelBpeTokenizer>(((LoadedTokenizer)tok).Tokenizer);
        Assert.Equal(268, tok.VocabSize);

        // "the": only h+e merges, since "Ġt he" needs the space. " the": Ġt, he, then Ġthe.
        Assert.Equal([116, 257], tok.Encode("the", addBos: false));
        Assert.Equal([258], tok.Encode(" the", addBos: false));
        // " lower": l+o (3), lo+w (4), e+r (5) before Ġ+low (6).
        Assert.Equal([262, 261], tok.Encode(" lower", addBos: false));
        // "é" is the two bytes C3 A9, merged by rank 7; " café" has no whole-word merge.
        Assert.Equal([116, 257, 262, 261, 32, 99, 97, 102, 263], tok.Encode("the lower café", addBos: false));
        // Unmerged non-ASCII falls to single bytes: 日 = E6 97 A5.
        Assert.Equal([0xE6, 0x97, 0xA5], tok.Encode("日", addBos: false));
        Assert.Equal("the lower café 日", Decode(tok, tok.Encode("the lower café 日", addBos: false)));
        Assert.Equal(-1, tok.BosId);
        Assert.False(tok.AddBos);
    }

    [Fact]
    public void Special_tokens_are_parsed_only_on_request_but_plain_added_tokens_always()
    {
        using TempDir dir = new();
        ITokenizer tok = FromJson(dir, TokenizerJson(Gpt2PreTokenizer));
        Assert.Equal([ImStart, 116, 257, EndOfText], tok.Encode("<|im_start|>the<|endoftext|>", addBos: false, parseSpecial: true));
        // As text, "<|im_start|>" is pieces "<|", "im", "_", "start", "|>" of single bytes.
        Assert.Equal([60, 124, 105, 109, 95, 115, 116, 97, 114, 116, 124, 62, 116, 257], tok.Encode("<|im_start|>the", addBos: false, parseSpecial: false));
        Assert.Equal([97, Mask, 98], tok.Encode("a[MASK]b", addBos: false, parseSpecial: false));

        Assert.True(tok.IsControl(ImStart));
        Assert.False(tok.IsControl(Mask));
        Assert.Empty(tok.TokenBytes(ImStart, -1));
        Assert.Equal("[MASK]", Encoding.UTF8.GetString(tok.TokenBytes(Mask, -1)));
        Assert.Equal([0xC3, 0xA9], tok.TokenBytes(263, -1));
        Assert.Equal(" ", Encoding.UTF8.GetString(tok.TokenBytes(32, -1)));
        Assert.Equal("Ġ", tok.IdToPiece(32));
        Assert.Equal(258, tok.PieceToId("Ġthe"));
    }

    [Fact]
    public void Llama3_layout_splits_by_regex_ignores_merges_for_whole_words_and_adds_bos_from_the_template()
    {
        const string post = """
            { "type": "TemplateProcessing",
              "single": [ { "SpecialToken": { "id": "<|endoftext|>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } } ],
              "pair": [], "special_tokens": { "<|endoftext|>": { "id": "<|endoftext|>", "ids": [264], "tokens": ["<|endoftext|>"] } } }
            """;
        using TempDir dir = new();
        ITokenizer tok = FromJson(dir, TokenizerJson(SplitThenByteLevel(PreTokenizerPatterns.Llama3), ignoreMerges: true, postProcessor: post),
            tokenizerConfig: """{ "eos_token": "<|im_start|>", "chat_template": "{{ '<|im_start|>' }}" }""");
        Assert.Equal(EndOfText, tok.BosId);
        Assert.True(tok.AddBos);
        Assert.Equal([ImStart], tok.EosIds);
        // " café" is a vocabulary entry that no merge builds: ignore_merges takes it whole.
        Assert.Equal([EndOfText, 258, CafeWhole], tok.Encode(" the café", addBos: true));
        Assert.Equal(" the café", Decode(tok, tok.Encode(" the café", addBos: true)));
        Assert.Same(ChatTemplate.ChatML.Name, ((LoadedTokenizer)tok).DetectChatTemplate()!.Name);
    }

    [Fact]
    public void Without_ignore_merges_a_whole_word_entry_is_not_used()
    {
        using TempDir dir = new();
        ITokenizer tok = FromJson(dir, TokenizerJson(SplitThenByteLevel(PreTokenizerPatterns.Llama3), ignoreMerges: false));
        Assert.Equal([258, 32, 99, 97, 102, 263], tok.Encode(" the café", addBos: false));
    }

    [Theory]
    [InlineData(PreTokenizerPatterns.Llama3, new[] { "Hello", " world", " ", " ", "123", "456", " it", "'s", "\n\n", "IT", "'S" })]
    [InlineData(PreTokenizerPatterns.Qwen2, new[] { "Hello", " world", " ", " ", "1", "2", "3", "4", "5", "6", " it", "'s", "\n\n", "IT", "'S" })]
    [InlineData(PreTokenizerPatterns.Gpt2, new[] { "Hello", " world", " ", " 123456", " it", "'s", "\n", "\n", "IT", "'", "S" })]
    public void Pre_tokenizer_regexes_split_like_the_reference(string pattern, string[] expected)
    {
        var pieces = PreTokenizerPatterns.Split("Hello world  123456 it's\n\nIT'S", [PreTokenizerPatterns.Compile(pattern)]);
        Assert.Equal(expected, pieces);
    }

    [Fact]
    public void Gguf_gpt2_vocabulary_encodes_like_the_tokenizer_json()
    {
        List<string> tokens = Tokens();
        int[] types = tokens.Select((t, i) => i switch { EndOfText or ImStart => 3, Mask => 4, _ => 1 }).ToArray();
        using TempDir dir = new();
        string path = dir.File("vocab.gguf");
        GgufMetadataWriter.Write(path,
        [
            ("general.architecture", "llama"),
            ("tokenizer.ggml.model", "gpt2"),
            ("tokenizer.ggml.pre", "llama-bpe"),
            ("tokenizer.ggml.tokens", tokens.ToArray()),
            ("tokenizer.ggml.token_type", types),
            ("tokenizer.ggml.merges", Merges.Select(m => m.Left + " " + m.Right).ToArray()),
            ("tokenizer.ggml.bos_token_id", (uint)EndOfText),
            ("tokenizer.ggml.eos_token_id", (uint)EndOfText),
            ("tokenizer.ggml.eot_token_id", (uint)ImStart),
            ("tokenizer.chat_template", "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}"),
        ]);

        LoadedTokenizer tok = TokenizerLoader.Load(path);
        Assert.IsType<ByteLevelBpeTokenizer>(tok.Tokenizer);
        Assert.True(tok.AddBos); // llama-bpe adds BOS by default, as llama.cpp does
        Assert.Equal([EndOfText, ImStart], tok.EosIds);
        Assert.Same(ChatTemplate.Llama3, tok.DetectChatTemplate());
        Assert.Equal([EndOfText, 258, CafeWhole, ImStart], tok.Encode(" the café<|im_start|>", addBos: true, parseSpecial: true));
        Assert.Equal([116, 257, 262, 261, 32, 97, Mask, 98], tok.Encode("the lower a[MASK]b", addBos: false));
        Assert.Equal("the lower a[MASK]b", Decode(tok, tok.Encode("the lower a[MASK]b", addBos: false)));
    }

    [Fact]
    public void Gguf_with_unknown_pre_tokenizer_is_refused()
    {
        using TempDir dir = new();
        string path = dir.File("vocab.gguf");
        GgufMetadataWriter.Write(path,
        [
            ("tokenizer.ggml.model", "gpt2"),
            ("tokenizer.ggml.pre", "some-future-model"),
            ("tokenizer.ggml.tokens", Tokens().ToArray()),
            ("tokenizer.ggml.merges", new[] { "Ġ t" }),
        ]);
        using GgufFile gguf = GgufFile.Open(path);
        var e = Assert.Throws<CriaFormatException>(() => TokenizerLoader.FromGguf(gguf));
        Assert.Equal("tokenizer.ggml.pre", e.Field);
        Assert.Contains("llama-bpe", e.Message);
    }
}

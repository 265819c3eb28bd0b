using System.Text.Json;
using Cria.Text;

namespace Cria.Tests.Text;

/// <summary>The Llama-2 layout of tokenizer.json: "▁" spaces, byte fallback, pairs ranked by the merge list.</summary>
public class HfSentencePieceJsonTests
{
    private static readonly (string, string)[] Merges =
    [
        ("▁", "h"),    // 0 → ▁h
        ("e", "l"),    // 1 → el
        ("▁h", "el"),  // 2 → ▁hel
        ("l", "o"),    // 3 → lo
        ("▁hel", "lo"), // 4 → ▁hello
    ];

    private static string Json(string normalizer, string preTokenizer)
    {
        List<string> pieces = ["<unk>", "<s>", "</s>"];
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        pieces.AddRange(["▁", "h", "e", "l", "o", "▁h", "el", "▁hel", "lo", "▁hello"]);
        var vocab = pieces.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        string model = JsonSerializer.Serialize(new
        {
            type = "BPE",
            dropout = (object?)null,
            unk_token = "<unk>",
            fuse_unk = true,
            byte_fallback = true,
            vocab,
            merges = Merges.Select(m => m.Item1 + " " + m.Item2).ToArray(),
        });
        return $$"""
        {
          "version": "1.0",
          "added_tokens": [
            { "id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true },
            { "id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true },
            { "id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true }
          ],
          "normalizer": {{normalizer}},
          "pre_tokenizer": {{preTokenizer}},
          "post_processor": { "type": "TemplateProcessing",
            "single": [ { "SpecialToken": { "id": "<s>", "type_id": 0 } }, { "Sequence": { "id": "A", "type_id": 0 } } ],
            "pair": [], "special_tokens": { "<s>": { "id": "<s>", "ids": [1], "tokens": ["<s>"] } } },
          "decoder": { "type": "Sequence", "decoders": [
            { "type": "Replace", "pattern": { "String": "▁" }, "content": " " }, { "type": "ByteFallback" }, { "type": "Fuse" },
            { "type": "Strip", "content": " ", "start": 1, "stop": 0 } ] },
          "model": {{model}}
        }
        """;
    }

    private const string LegacyNormalizer = """
        { "type": "Sequence", "normalizers": [ { "type": "Prepend", "prepend": "▁" }, { "type": "Replace", "pattern": { "String": " " }, "content": "▁" } ] }
        """;

    private const string MetaspaceFirst = """{ "type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false }""";

    [Fact]
    public void Legacy_layout_prepends_a_space_to_every_text_run()
    {
        using TempDir dir = new();
        dir.File("tokenizer.json", Json(LegacyNormalizer, "null"));
        dir.File("tokenizer_config.json", """{ "add_bos_token": true, "bos_token": { "content": "<s>", "special": true }, "eos_token": "</s>" }""");
        LoadedTokenizer tok = TokenizerLoader.FromHfFolder(dir.Path);
        var spm = Assert.IsType<SentencePieceBpeTokenizer>(tok.Tokenizer);
        Assert.True(spm.RanksByMerges);
        Assert.Equal(SpacePrefixMode.EveryTextRun, spm.SpacePrefix);
        Assert.Equal(1, tok.BosId);
        Assert.Equal([2], tok.EosIds);
        Assert.True(tok.AddBos);

        // ▁hello by merges 0, 1, 2, 3, 4; "☃" is not in the vocabulary and falls back to its bytes E2 98 83.
        Assert.Equal([1, 268], tok.Encode("hello", addBos: true));
        Assert.Equal([1, 268, 259, 3 + 0xE2, 3 + 0x98, 3 + 0x83], tok.Encode("hello ☃", addBos: true));
        Assert.Equal([1, 1, 268, 2, 264], tok.Encode("<s>hello</s>h", addBos: true, parseSpecial: true));
        Assert.Equal("hello ☃", SentencePieceDecodeTests.Decode(tok, tok.Encode("hello ☃", addBos: true)));
        Assert.True(tok.IsControl(1));
        Assert.Equal([0x98], tok.TokenBytes(3 + 0x98, -1));
    }

    [Fact]
    public void Metaspace_first_scheme_prefixes_only_the_start_of_the_input()
    {
        using TempDir dir = new();
        dir.File("tokenizer.json", Json("null", MetaspaceFirst));
        LoadedTokenizer tok = TokenizerLoader.FromHfFolder(dir.Path);
        Assert.Equal(SpacePrefixMode.StartOfInputOnly, ((SentencePieceBpeTokenizer)tok.Tokenizer).SpacePrefix);
        Assert.True(tok.AddBos); // from the TemplateProcessing post-processor
        // After "</s>" the text "hello" gets no "▁": h, el, lo rather than ▁hello.
        Assert.Equal([1, 268, 2, 260, 265, 267], tok.Encode("hello</s>hello", addBos: true, parseSpecial: true));
    }
}

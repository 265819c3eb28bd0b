using System.Text.Json;
using Cria.Text;

namespace Cria.Tests.Text;

/// <summary>
/// A hand-made byte-level BPE vocabulary: ids 0–255 are the single bytes (written in GPT-2's byte alphabet,
/// id = byte value), then a handful of merges and added tokens, so that encodings can be worked out by hand.
/// </summary>
internal static class TinyByteLevelVocab
{
    public static readonly (string Left, string Right)[] Merges =
    [
        ("Ġ", "t"),   // 0 → 256 "Ġt"
        ("h", "e"),   // 1 → 257 "he"
        ("Ġt", "he"), // 2 → 258 "Ġthe"
        ("l", "o"),   // 3 → 259 "lo"
        ("lo", "w"),  // 4 → 260 "low"
        ("e", "r"),   // 5 → 261 "er"
        ("Ġ", "low"), // 6 → 262 "Ġlow"
        ("Ã", "©"),   // 7 → 263 "Ã©", the UTF-8 bytes C3 A9 of "é"
    ];

    public const int EndOfText = 264, ImStart = 265, Mask = 266, CafeWhole = 267;

    public static List<string> Tokens()
    {
        List<string> tokens = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ByteToChar[b].ToString()).ToList();
        tokens.AddRange(Merges.Select(m => m.Left + m.Right));
        tokens.AddRange(["<|endoftext|>", "<|im_start|>", "[MASK]", "ĠcafÃ©"]);
        return tokens;
    }

    /// <summary>tokenizer.json with the given pre-tokenizer JSON; "ĠcafÃ©" is in the vocabulary but no merge makes it.</summary>
    public static string TokenizerJson(string preTokenizer, bool ignoreMerges = false, bool mergesAsPairs = false, string postProcessor = "null")
    {
        List<string> tokens = Tokens();
        var vocab = tokens.Select((t, i) => (t, i)).Where(x => x.i < EndOfText || x.i == CafeWhole).ToDictionary(x => x.t, x => x.i);
        object merges = mergesAsPairs ? Merges.Select(m => new[] { m.Left, m.Right }).ToArray() : Merges.Select(m => m.Left + " " + m.Right).ToArray();
        var added = new[]
        {
            new { id = EndOfText, content = "<|endoftext|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            new { id = ImStart, content = "<|im_start|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            new { id = Mask, content = "[MASK]", single_word = false, lstrip = false, rstrip = false, normalized = false, special = false },
        };
        string model = JsonSerializer.Serialize(new { type = "BPE", dropout = (object?)null, unk_token = (object?)null, byte_fallback = false, ignore_merges = ignoreMerges, vocab, merges });
        return $$"""
        {
          "version": "1.0",
          "truncation": null,
          "padding": null,
          "added_tokens": {{JsonSerializer.Serialize(added)}},
          "normalizer": null,
          "pre_tokenizer": {{preTokenizer}},
          "post_processor": {{postProcessor}},
          "decoder": { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true },
          "model": {{model}}
        }
        """;
    }

    public const string Gpt2PreTokenizer = """{ "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true }""";

    public static string SplitThenByteLevel(string regex) => $$"""
        { "type": "Sequence", "pretokenizers": [
            { "type": "Split", "pattern": { "Regex": {{JsonSerializer.Serialize(regex)}} }, "behavior": "Isolated", "invert": false },
            { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false } ] }
        """;
}

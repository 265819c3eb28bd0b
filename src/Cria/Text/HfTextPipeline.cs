using System.Text;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// The parts of a tokenizer.json that shape text before BPE (normalizer, pre-tokenizer), reduced to the
/// settings Cria's tokenizers take; anything they cannot reproduce is refused rather than ignored.
/// </summary>
internal static class HfTextPipeline
{
    public static (List<string> Patterns, bool AddPrefixSpace) ByteLevelPreTokenizer(string path, JsonElement pre)
    {
        List<string> patterns = new();
        bool addPrefixSpace = false;
        foreach (JsonElement c in HfJson.Components(pre, "pretokenizers"))
        {
            string? type = HfJson.String(c, "type");
            switch (type)
            {
                case "ByteLevel":
                    addPrefixSpace = HfJson.Bool(c, "add_prefix_space") ?? false;
                    if (HfJson.Bool(c, "use_regex") ?? true) patterns.Add(PreTokenizerPatterns.Gpt2);
                    break;
                case "Split":
                    string behavior = HfJson.String(c, "behavior") ?? "Isolated";
                    if (behavior != "Isolated" || HfJson.Bool(c, "invert") == true)
                        throw new CriaFormatException(path, "pre_tokenizer.Split", $"behavior '{behavior}'{(HfJson.Bool(c, "invert") == true ? " inverted" : "")} is not supported (only Isolated)");
                    JsonElement pattern = HfJson.Element(c, "pattern");
                    if (HfJson.String(pattern, "Regex") is string regex) patterns.Add(regex);
                    else if (HfJson.String(pattern, "String") is string literal) patterns.Add(System.Text.RegularExpressions.Regex.Escape(literal));
                    else throw new CriaFormatException(path, "pre_tokenizer.Split.pattern", "expected {\"Regex\": …} or {\"String\": …}");
                    break;
                case "Digits":
                    patterns.Add(HfJson.Bool(c, "individual_digits") == true ? @"\p{N}" : @"\p{N}+");
                    break;
                default:
                    throw new CriaFormatException(path, "pre_tokenizer.type", $"'{type}' is not supported in a byte-level tokenizer (supported: ByteLevel, Split, Digits)");
            }
        }
        return (patterns, addPrefixSpace);
    }

    public static NormalizationForm? UnicodeNormalization(string path, JsonElement normalizer)
    {
        NormalizationForm? form = null;
        foreach (JsonElement c in HfJson.Components(normalizer, "normalizers"))
        {
            string? type = HfJson.String(c, "type");
            form = type switch
            {
                "NFC" => NormalizationForm.FormC,
                "NFD" => NormalizationForm.FormD,
                "NFKC" => NormalizationForm.FormKC,
                "NFKD" => NormalizationForm.FormKD,
                _ => throw new CriaFormatException(path, "normalizer.type", $"'{type}' is not supported in a byte-level tokenizer (supported: NFC, NFD, NFKC, NFKD)"),
            };
        }
        return form;
    }

    public static bool IsSpaceToMetaspaceReplace(JsonElement c) =>
        HfJson.String(c, "type") == "Replace" && HfJson.String(HfJson.Element(c, "pattern"), "String") == " "
        && HfJson.String(c, "content") == "\u2581";

    public static SpacePrefixMode MetaspacePrefix(string path, JsonElement pre, JsonElement normalizer)
    {
        foreach (JsonElement c in HfJson.Components(normalizer, "normalizers"))
        {
            string? type = HfJson.String(c, "type");
            if (type == "Prepend" && HfJson.String(c, "prepend") == "\u2581") return SpacePrefixMode.EveryTextRun;
            if (!(type == "Prepend" || IsSpaceToMetaspaceReplace(c)))
                throw new CriaFormatException(path, "normalizer.type", $"'{type}' is not supported in a SentencePiece-style tokenizer");
        }
        foreach (JsonElement c in HfJson.Components(pre, "pretokenizers"))
        {
            if (HfJson.String(c, "type") != "Metaspace")
                throw new CriaFormatException(path, "pre_tokenizer.type", $"'{HfJson.String(c, "type")}' is not supported in a SentencePiece-style tokenizer (only Metaspace)");
            if (HfJson.Bool(c, "split") == true)
                throw new CriaFormatException(path, "pre_tokenizer.split", "Metaspace with split=true is not supported");
            return HfJson.String(c, "prepend_scheme") switch
            {
                "first" => SpacePrefixMode.StartOfInputOnly,
                "never" => SpacePrefixMode.Never,
                "always" => SpacePrefixMode.EveryTextRun,
                _ => HfJson.Bool(c, "add_prefix_space") == false ? SpacePrefixMode.Never : SpacePrefixMode.EveryTextRun,
            };
        }
        return SpacePrefixMode.Never;
    }
}

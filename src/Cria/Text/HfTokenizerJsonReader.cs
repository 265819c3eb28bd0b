using System.Text;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// Reads a Hugging Face tokenizer.json whose model is BPE, in one of two layouts: byte-level (GPT-2,
/// LLaMA-3, Qwen2: a ByteLevel pre-tokenizer, optionally after regex Splits) or SentencePiece-like
/// (Llama-2: spaces replaced by "▁", byte fallback, ranked by the merge list).
/// </summary>
internal static class HfTokenizerJsonReader
{
    public static ITokenizer Read(string path, SpecialTokenOverrides overrides)
    {
        using JsonDocument doc = HfJson.Parse(path);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new CriaFormatException(path, "(root)", "expected a JSON object");
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
            throw new CriaFormatException(path, "model", "absent or not an object");
        string? type = HfJson.String(model, "type");
        if (type != null && type != "BPE") throw new CriaFormatException(path, "model.type", $"'{type}' is not supported (only BPE)");
        if (!model.TryGetProperty("vocab", out JsonElement vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new CriaFormatException(path, "model.vocab", "absent or not an object");

        Vocabulary v = ReadVocabulary(path, vocab, root);
        List<(string, string)> merges = ReadMerges(path, model);
        JsonElement pre = HfJson.Element(root, "pre_tokenizer");
        JsonElement normalizer = HfJson.Element(root, "normalizer");

        bool byteLevel = HfJson.Components(pre, "pretokenizers").Any(c => HfJson.String(c, "type") == "ByteLevel")
            || HfJson.String(HfJson.Element(root, "decoder"), "type") == "ByteLevel";
        bool metaspace = HfJson.Components(pre, "pretokenizers").Any(c => HfJson.String(c, "type") == "Metaspace")
            || HfJson.Components(normalizer, "normalizers").Any(HfTextPipeline.IsSpaceToMetaspaceReplace)
            || HfJson.Bool(model, "byte_fallback") == true;

        var (defaultBos, defaultAddBos) = BosFromPostProcessor(HfJson.Element(root, "post_processor"), v);
        int unk = HfJson.String(model, "unk_token") is string u ? v.IdOf(u) : -1;
        if (unk >= 0 && v.Types[unk] == TokenType.Normal) v.Types[unk] = TokenType.Unknown;
        var (bos, eos, addBos) = overrides.Resolve(v.Pieces, defaultBos, [], defaultAddBos);

        if (byteLevel)
        {
            var (patterns, addPrefixSpace) = HfTextPipeline.ByteLevelPreTokenizer(path, pre);
            NormalizationForm? form = HfTextPipeline.UnicodeNormalization(path, normalizer);
            return new ByteLevelBpeTokenizer(v.Pieces, v.Types, merges, v.Added, patterns.Select(PreTokenizerPatterns.Compile).ToArray(),
                bos, eos, unk, addBos, HfJson.Bool(model, "ignore_merges") ?? false, form, addPrefixSpace);
        }
        if (metaspace)
        {
            bool byteFallback = HfJson.Bool(model, "byte_fallback") ?? false;
            for (int i = 0; i < v.Pieces.Count; i++)
            {
                if (byteFallback && v.Types[i] == TokenType.Normal && SentencePieceBpeTokenizer.TryParseByteToken(v.Pieces[i], out _))
                    v.Types[i] = TokenType.Byte;
            }
            SpacePrefixMode prefix = HfTextPipeline.MetaspacePrefix(path, pre, normalizer);
            return new SentencePieceBpeTokenizer(v.Pieces, new float[v.Pieces.Count], v.Types, bos, eos, unk, addBos, prefix, merges, v.Added);
        }
        throw new CriaFormatException(path, "pre_tokenizer", "BPE layout not recognised: neither a ByteLevel pre-tokenizer nor SentencePiece-style '▁' spaces");
    }

    private sealed record Vocabulary(List<string> Pieces, TokenType[] Types, List<AddedToken> Added)
    {
        private Dictionary<string, int>? _index;

        public int IdOf(string piece)
        {
            _index ??= Pieces.Select((p, i) => (p, i)).GroupBy(x => x.p, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
            return _index.GetValueOrDefault(piece, -1);
        }
    }

    private static Vocabulary ReadVocabulary(string path, JsonElement vocab, JsonElement root)
    {
        Dictionary<int, string> byId = new();
        foreach (JsonProperty p in vocab.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new CriaFormatException(path, $"model.vocab[\"{p.Name}\"]", "id is not a non-negative integer");
            if (!byId.TryAdd(id, p.Name)) throw new CriaFormatException(path, $"model.vocab[\"{p.Name}\"]", $"id {id} is used twice");
        }

        List<AddedToken> added = new();
        Dictionary<int, bool> addedSpecial = new();
        JsonElement addedTokens = HfJson.Element(root, "added_tokens");
        if (addedTokens.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (JsonElement t in addedTokens.EnumerateArray())
            {
                string field = $"added_tokens[{i++}]";
                string content = HfJson.String(t, "content") ?? throw new CriaFormatException(path, field + ".content", "absent or not a string");
                if (!t.TryGetProperty("id", out JsonElement idEl) || !idEl.TryGetInt32(out int id) || id < 0)
                    throw new CriaFormatException(path, field + ".id", "absent or not a non-negative integer");
                bool special = HfJson.Bool(t, "special") ?? false;
                byId[id] = content;
                addedSpecial[id] = special;
                added.Add(new AddedToken(content, id, special, HfJson.Bool(t, "lstrip") ?? false, HfJson.Bool(t, "rstrip") ?? false));
            }
        }
        if (byId.Count == 0) throw new CriaFormatException(path, "model.vocab", "the vocabulary is empty");

        int size = byId.Keys.Max() + 1;
        if (size > 16_000_000) throw new CriaFormatException(path, "model.vocab", $"largest id {size - 1} is implausibly large");
        List<string> pieces = new(size);
        TokenType[] types = new TokenType[size];
        for (int id = 0; id < size; id++)
        {
            // Ids nobody names are holes in the table; they can never be produced and decode to nothing.
            pieces.Add(byId.GetValueOrDefault(id, ""));
            types[id] = !byId.ContainsKey(id) ? TokenType.Unused
                : addedSpecial.TryGetValue(id, out bool special) ? (special ? TokenType.Control : TokenType.UserDefined)
                : TokenType.Normal;
        }
        return new Vocabulary(pieces, types, added);
    }

    private static List<(string, string)> ReadMerges(string path, JsonElement model)
    {
        List<(string, string)> merges = new();
        JsonElement m = HfJson.Element(model, "merges");
        if (m.ValueKind != JsonValueKind.Array) return merges;
        int i = 0;
        foreach (JsonElement e in m.EnumerateArray())
        {
            string field = $"model.merges[{i++}]";
            if (e.ValueKind == JsonValueKind.String)
            {
                // The older "a b" spelling; pieces cannot contain a space in the layouts read here ("Ġ", "▁" stand for it).
                string s = e.GetString()!;
                int sp = s.IndexOf(' ', 1);
                if (sp < 0) throw new CriaFormatException(path, field, $"'{s}' is not two pieces separated by a space");
                merges.Add((s[..sp], s[(sp + 1)..]));
            }
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
            {
                merges.Add((e[0].GetString()!, e[1].GetString()!));
            }
            else throw new CriaFormatException(path, field, "expected \"a b\" or [\"a\", \"b\"]");
        }
        return merges;
    }

    /// <summary>BOS as the post-processor adds it: a TemplateProcessing whose single-sequence template starts with a special token.</summary>
    private static (int Bos, bool AddBos) BosFromPostProcessor(JsonElement post, Vocabulary v)
    {
        foreach (JsonElement p in HfJson.Components(post, "processors"))
        {
            if (HfJson.String(p, "type") != "TemplateProcessing") continue;
            JsonElement single = HfJson.Element(p, "single");
            if (single.ValueKind != JsonValueKind.Array || single.GetArrayLength() == 0) continue;
            JsonElement first = HfJson.Element(single[0], "SpecialToken");
            if (HfJson.String(first, "id") is not string name) continue;
            JsonElement ids = HfJson.Element(HfJson.Element(HfJson.Element(p, "special_tokens"), name), "ids");
            int id = ids.ValueKind == JsonValueKind.Array && ids.GetArrayLength() == 1 && ids[0].TryGetInt32(out int x) ? x : v.IdOf(name);
            if (id >= 0 && id < v.Pieces.Count) return (id, true);
        }
        return (-1, false);
    }
}

using Cria.Formats;

namespace Cria.Text;

/// <summary>Builds a tokenizer from a GGUF file's <c>tokenizer.ggml.*</c> metadata.</summary>
internal static class GgufTokenizerReader
{
    public const string ModelKey = "tokenizer.ggml.model";
    public const string ChatTemplateKey = "tokenizer.chat_template";

    public static ITokenizer Read(GgufFile gguf)
    {
        string? model = gguf.GetString(ModelKey);
        return model switch
        {
            "llama" => ReadSentencePiece(gguf),
            "gpt2" => ReadByteLevel(gguf),
            null => throw new CriaFormatException(gguf.Path, ModelKey, "absent: the file carries no tokenizer"),
            _ => throw new CriaFormatException(gguf.Path, ModelKey, $"tokenizer model '{model}' is not supported (supported: llama, gpt2)"),
        };
    }

    private static SentencePieceBpeTokenizer ReadSentencePiece(GgufFile gguf)
    {
        string[] tokens = Tokens(gguf);
        float[] scores = gguf.GetFloatArray("tokenizer.ggml.scores") ?? new float[tokens.Length];
        if (scores.Length != tokens.Length)
            throw new CriaFormatException(gguf.Path, "tokenizer.ggml.scores", $"{scores.Length} scores for {tokens.Length} tokens");
        TokenType[] types = Types(gguf, tokens.Length);
        int bos = OptionalId(gguf, "tokenizer.ggml.bos_token_id", tokens.Length, 1);
        int unk = OptionalId(gguf, "tokenizer.ggml.unknown_token_id", tokens.Length, 0);
        bool addBos = OptionalBool(gguf, "tokenizer.ggml.add_bos_token") ?? true;
        bool spacePrefix = OptionalBool(gguf, "tokenizer.ggml.add_space_prefix") ?? true;
        return new SentencePieceBpeTokenizer(tokens, scores, types, bos, EosIds(gguf, tokens.Length, 2), unk, addBos && bos >= 0,
            spacePrefix ? SpacePrefixMode.EveryTextRun : SpacePrefixMode.Never);
    }

    private static ByteLevelBpeTokenizer ReadByteLevel(GgufFile gguf)
    {
        string[] tokens = Tokens(gguf);
        TokenType[] types = Types(gguf, tokens.Length);
        string[] mergeLines = gguf.GetStringArray("tokenizer.ggml.merges")
            ?? throw new CriaFormatException(gguf.Path, "tokenizer.ggml.merges", "absent: a gpt2 tokenizer needs its merges");
        var merges = new (string, string)[mergeLines.Length];
        for (int i = 0; i < mergeLines.Length; i++)
        {
            // Byte-level pieces never contain a space (it is mapped to "Ġ"), so the first space separates the pair.
            int sp = mergeLines[i].IndexOf(' ', 1);
            if (sp < 0) throw new CriaFormatException(gguf.Path, $"tokenizer.ggml.merges[{i}]", $"'{mergeLines[i]}' is not two pieces separated by a space");
            merges[i] = (mergeLines[i][..sp], mergeLines[i][(sp + 1)..]);
        }

        string pre = gguf.GetString("tokenizer.ggml.pre") ?? "default";
        PreTokenizerPatterns.Named? patterns = PreTokenizerPatterns.ForGgufPre(pre)
            ?? throw new CriaFormatException(gguf.Path, "tokenizer.ggml.pre", $"pre-tokenizer '{pre}' is not supported (supported: {string.Join(", ", PreTokenizerPatterns.GgufNames)})");
        int bos = OptionalId(gguf, "tokenizer.ggml.bos_token_id", tokens.Length, -1);
        int unk = OptionalId(gguf, "tokenizer.ggml.unknown_token_id", tokens.Length, -1);
        bool addBos = OptionalBool(gguf, "tokenizer.ggml.add_bos_token") ?? patterns.AddBosByDefault;

        List<AddedToken> literals = new();
        for (int i = 0; i < tokens.Length; i++)
        {
            if (types[i] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown)
                literals.Add(new AddedToken(tokens[i], i, Special: types[i] != TokenType.UserDefined));
        }
        return new ByteLevelBpeTokenizer(tokens, types, merges, literals, patterns.Patterns, bos, EosIds(gguf, tokens.Length, -1), unk,
            addBos && bos >= 0, patterns.IgnoreMerges, normalization: null, addPrefixSpace: false);
    }

    private static string[] Tokens(GgufFile gguf)
    {
        string[] tokens = gguf.GetStringArray("tokenizer.ggml.tokens")
            ?? throw new CriaFormatException(gguf.Path, "tokenizer.ggml.tokens", "absent or not a string array");
        if (tokens.Length == 0) throw new CriaFormatException(gguf.Path, "tokenizer.ggml.tokens", "the vocabulary is empty");
        return tokens;
    }

    private static TokenType[] Types(GgufFile gguf, int count)
    {
        int[]? raw = gguf.GetIntArray("tokenizer.ggml.token_type");
        if (raw == null) return Enumerable.Repeat(TokenType.Normal, count).ToArray();
        if (raw.Length != count) throw new CriaFormatException(gguf.Path, "tokenizer.ggml.token_type", $"{raw.Length} types for {count} tokens");
        TokenType[] types = new TokenType[count];
        for (int i = 0; i < count; i++)
        {
            if (raw[i] is < 1 or > 6) throw new CriaFormatException(gguf.Path, $"tokenizer.ggml.token_type[{i}]", $"unknown token type {raw[i]}");
            types[i] = (TokenType)raw[i];
        }
        return types;
    }

    private static int[] EosIds(GgufFile gguf, int count, int fallback)
    {
        List<int> ids = new();
        int eos = OptionalId(gguf, "tokenizer.ggml.eos_token_id", count, fallback);
        if (eos >= 0) ids.Add(eos);
        // Chat models end a turn with eot/eom rather than eos; generation should stop on all of them.
        foreach (string key in new[] { "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id" })
        {
            int id = OptionalId(gguf, key, count, -1);
            if (id >= 0 && !ids.Contains(id)) ids.Add(id);
        }
        return ids.ToArray();
    }

    /// <summary>An id key; absent gives <paramref name="fallback"/>, and out-of-range values (such as uint32 max) mean "none".</summary>
    private static int OptionalId(GgufFile gguf, string key, int count, int fallback)
    {
        if (!gguf.Metadata.ContainsKey(key)) return fallback;
        long? v = gguf.GetInteger(key);
        return v is long id && id >= 0 && id < count ? (int)id : -1;
    }

    private static bool? OptionalBool(GgufFile gguf, string key) =>
        gguf.Metadata.TryGetValue(key, out GgufValue? v) && v.Value is bool b ? b : null;
}

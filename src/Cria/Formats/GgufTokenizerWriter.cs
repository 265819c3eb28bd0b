using Cria.Text;

namespace Cria.Formats;

/// <summary>
/// Writes a tokenizer into GGUF <c>tokenizer.ggml.*</c> metadata the way llama.cpp's converter does, so that llama.cpp
/// and Cria's <see cref="GgufTokenizerReader"/> rebuild it: SentencePiece BPE as model "llama" (tokens, scores,
/// types), byte-level BPE as model "gpt2" (tokens, types, merges and the pre-tokenizer's name).
/// </summary>
public static class GgufTokenizerWriter
{
    /// <summary>Adds the tokenizer (and chat template) to <paramref name="g"/>; returns null, or why it cannot be stored in GGUF.</summary>
    public static string? Write(GgufWriter g, ITokenizer? tokenizer, string? chatTemplate)
    {
        ITokenizer? t = tokenizer is LoadedTokenizer lt ? lt.Tokenizer : tokenizer;
        string? problem = t switch
        {
            null => "the model has no tokenizer",
            SentencePieceBpeTokenizer sp => WriteSentencePiece(g, sp),
            ByteLevelBpeTokenizer bpe => WriteByteLevel(g, bpe),
            _ => $"{t.GetType().Name} has no GGUF form",
        };
        if (problem == null && chatTemplate != null) g.Set("tokenizer.chat_template", chatTemplate);
        return problem;
    }

    private static string? WriteSentencePiece(GgufWriter g, SentencePieceBpeTokenizer sp)
    {
        int n = sp.VocabSize;
        g.Set("tokenizer.ggml.model", "llama");
        g.Set("tokenizer.ggml.tokens", Enumerable.Range(0, n).Select(sp.IdToPiece).ToArray());
        g.Set("tokenizer.ggml.scores", Enumerable.Range(0, n).Select(sp.ScoreOf).ToArray());
        g.Set("tokenizer.ggml.token_type", Enumerable.Range(0, n).Select(i => (int)sp.TypeOf(i)).ToArray());
        SpecialIds(g, sp, sp.UnkId);
        g.Set("tokenizer.ggml.add_space_prefix", sp.SpacePrefix != SpacePrefixMode.Never);
        return null;
    }

    private static string? WriteByteLevel(GgufWriter g, ByteLevelBpeTokenizer bpe)
    {
        // llama.cpp's byte-level tokenizer has no "add a space in front" step, and picks its regexes by name only.
        if (bpe.AddPrefixSpace) return "a byte-level tokenizer with add_prefix_space has no GGUF form";
        string? pre = PreTokenizerPatterns.GgufNameFor(bpe.PreTokenizerRegexes, bpe.IgnoreMerges);
        if (pre == null)
            return $"its pre-tokenizer ({string.Join(" then ", bpe.PreTokenizerRegexes)}{(bpe.IgnoreMerges ? ", ignore_merges" : "")}) has no tokenizer.ggml.pre name";
        int n = bpe.VocabSize;
        g.Set("tokenizer.ggml.model", "gpt2");
        g.Set("tokenizer.ggml.pre", pre);
        g.Set("tokenizer.ggml.tokens", Enumerable.Range(0, n).Select(bpe.IdToPiece).ToArray());
        g.Set("tokenizer.ggml.token_type", Enumerable.Range(0, n).Select(i => (int)bpe.TypeOf(i)).ToArray());
        g.Set("tokenizer.ggml.merges", bpe.Merges.Select(m => m.Left + " " + m.Right).ToArray());
        SpecialIds(g, bpe, bpe.UnkId);
        return null;
    }

    private static void SpecialIds(GgufWriter g, ITokenizer t, int unk)
    {
        if (t.BosId >= 0) g.Set("tokenizer.ggml.bos_token_id", (uint)t.BosId);
        if (t.EosIds.Count > 0) g.Set("tokenizer.ggml.eos_token_id", (uint)t.EosIds[0]);
        // A chat model's end-of-turn token (a second end id) is what llama.cpp calls eot; it stops generation too.
        if (t.EosIds.Count > 1) g.Set("tokenizer.ggml.eot_token_id", (uint)t.EosIds[1]);
        if (unk >= 0) g.Set("tokenizer.ggml.unknown_token_id", (uint)unk);
        g.Set("tokenizer.ggml.add_bos_token", t.AddBos);
    }
}

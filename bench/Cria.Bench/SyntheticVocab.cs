using Cria.Formats;

namespace Cria.Bench;

/// <summary>
/// A SentencePiece-style vocabulary that llama.cpp accepts: unknown, BOS and EOS, the 256 byte-fallback
/// pieces, then distinct filler pieces up to the requested size. Its only purpose is to make random-weight
/// files loadable; no real text maps onto the filler pieces.
/// </summary>
internal static class SyntheticVocab
{
    private const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;

    public static void AddTo(GgufWriter w, int size)
    {
        if (size < 259) throw new ArgumentException("a vocabulary needs at least the 3 control and 256 byte pieces");
        string[] tokens = new string[size];
        float[] scores = new float[size];
        int[] types = new int[size];
        tokens[0] = "<unk>";
        types[0] = Unknown;
        tokens[1] = "<s>";
        types[1] = Control;
        tokens[2] = "</s>";
        types[2] = Control;
        for (int b = 0; b < 256; b++)
        {
            tokens[3 + b] = $"<0x{b:X2}>";
            types[3 + b] = Byte;
        }
        for (int i = 259; i < size; i++)
        {
            tokens[i] = "\u2581p" + (i - 259).ToString(System.Globalization.CultureInfo.InvariantCulture);
            scores[i] = -(i - 259);
            types[i] = Normal;
        }
        w.Set("tokenizer.ggml.model", "llama");
        w.Set("tokenizer.ggml.tokens", tokens);
        w.Set("tokenizer.ggml.scores", scores);
        w.Set("tokenizer.ggml.token_type", types);
        w.Set("tokenizer.ggml.unknown_token_id", 0u);
        w.Set("tokenizer.ggml.bos_token_id", 1u);
        w.Set("tokenizer.ggml.eos_token_id", 2u);
        w.Set("tokenizer.ggml.add_bos_token", true);
    }
}

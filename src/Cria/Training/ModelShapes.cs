using Cria.Model;

namespace Cria.Training;

/// <summary>llama2.c's model sizes (the tinyllamas), by name, with the vocabulary of the chosen tokenizer.</summary>
public static class ModelShapes
{
    public static IReadOnlyList<string> Names { get; } = ["260k", "15m", "42m", "110m"];

    public static LlamaConfig? Named(string name, int vocab)
    {
        (int dim, int layers, int heads, int kvHeads, int seq, int multipleOf)? s = name.ToLowerInvariant() switch
        {
            "260k" => (64, 5, 8, 4, 512, 4),
            "15m" => (288, 6, 6, 6, 256, 32),
            "42m" => (512, 8, 8, 8, 1024, 32),
            "110m" => (768, 12, 12, 12, 1024, 32),
            _ => null,
        };
        if (s is not var (dim, layers, heads, kvHeads, seq, multipleOf)) return null;
        // llama2.c: hidden = 2/3 of 4·dim, rounded up to a multiple of multiple_of.
        int hidden = 2 * (4 * dim) / 3;
        hidden = (hidden + multipleOf - 1) / multipleOf * multipleOf;
        return new LlamaConfig
        {
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            VocabSize = vocab,
            MaxSeqLen = seq,
            NormEps = 1e-5f,
            TiedEmbeddings = true,
            RopeLayout = RopeLayout.Halves,
        }.Normalize(name);
    }
}

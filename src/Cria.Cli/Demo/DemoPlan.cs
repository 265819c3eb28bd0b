using Cria.Model;

namespace Cria.Cli.Demo;

/// <summary>
/// The sizes of one demo run: corpus sizes, tokenizer vocabulary, model shape and training steps. The quick plan
/// fits in about a minute on two cores, the full one in a few minutes.
/// </summary>
public sealed record DemoPlan
{
    public required string Name { get; init; }
    public required int Stories { get; init; }
    public required int HeldOutStories { get; init; }
    public required int Entities { get; init; }
    public required int FactDocuments { get; init; }
    public required int ReplayStories { get; init; }
    public required int VocabSize { get; init; }
    public required int Dim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int Seq { get; init; }
    public required int Batch { get; init; }
    public required int BaseSteps { get; init; }
    public required int DerivedSteps { get; init; }
    public float Lr { get; init; } = 3e-3f;
    public float DerivedLr { get; init; } = 3e-3f;

    public static DemoPlan Quick { get; } = new()
    {
        Name = "quick",
        Stories = 3000,
        HeldOutStories = 40,
        Entities = 12,
        FactDocuments = 1500,
        ReplayStories = 300,
        VocabSize = 384,
        Dim = 64,
        Layers = 3,
        Heads = 4,
        Seq = 64,
        Batch = 8,
        BaseSteps = 100,
        DerivedSteps = 160,
    };

    public static DemoPlan Full { get; } = new()
    {
        Name = "full",
        Stories = 12000,
        HeldOutStories = 100,
        Entities = 24,
        FactDocuments = 4000,
        ReplayStories = 1200,
        VocabSize = 512,
        Dim = 64,
        Layers = 3,
        Heads = 4,
        Seq = 96,
        Batch = 8,
        BaseSteps = 300,
        DerivedSteps = 300,
        DerivedLr = 2e-3f,
    };

    /// <summary>A LLaMA shape (SwiGLU hidden = 8/3·dim rounded to 16, tied embeddings, rotate-half RoPE as HF checkpoints store it).</summary>
    public LlamaConfig Config(int vocab) => new LlamaConfig
    {
        Dim = Dim,
        HiddenDim = (8 * Dim / 3 + 15) / 16 * 16,
        Layers = Layers,
        Heads = Heads,
        KvHeads = Heads,
        VocabSize = vocab,
        MaxSeqLen = 256,
        NormEps = 1e-5f,
        TiedEmbeddings = true,
        RopeLayout = RopeLayout.Halves,
    }.Normalize($"demo plan {Name}");
}

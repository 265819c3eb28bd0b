namespace Cria.Bench;

/// <summary>The dimensions of a LLaMA model, for writing random-weight files of a known size.</summary>
internal sealed record ModelShape(string Name, int Dim, int Layers, int Heads, int KvHeads, int Ffn, int Vocab, int ContextLength)
{
    public static readonly ModelShape[] All =
    [
        new("15m", 288, 6, 6, 6, 768, 32000, 256),
        new("110m", 768, 12, 12, 12, 2048, 32000, 1024),
        new("tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048),
    ];

    public int HeadDim => Dim / Heads;
    public int KvDim => KvHeads * HeadDim;

    public static ModelShape Find(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown shape '{name}' (known: {string.Join(", ", All.Select(s => s.Name))})");
}

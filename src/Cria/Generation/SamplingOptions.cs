namespace Cria.Generation;

/// <summary>How the next token is chosen. Temperature 0 means greedy (argmax).</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; } = 40;
    public float TopP { get; init; } = 0.95f;
    public float MinP { get; init; } = 0.05f;
    public float RepeatPenalty { get; init; } = 1.0f;

    /// <summary>How many recent tokens the repetition penalty looks at.</summary>
    public int RepeatLastN { get; init; } = 64;

    public ulong Seed { get; init; } = 42;

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0, TopK = 0, TopP = 1, MinP = 0 };

    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}");
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}");
        if (!(MinP >= 0 && MinP < 1)) throw new ArgumentException($"min-p must be in [0, 1), got {MinP}");
        if (!(RepeatPenalty > 0) || float.IsInfinity(RepeatPenalty)) throw new ArgumentException($"repeat penalty must be > 0, got {RepeatPenalty}");
        if (RepeatLastN < 0) throw new ArgumentException($"repeat-last-n must be ≥ 0, got {RepeatLastN}");
    }
}

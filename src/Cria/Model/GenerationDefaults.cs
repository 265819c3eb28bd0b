namespace Cria.Model;

/// <summary>Sampling defaults a checkpoint ships (Hugging Face generation_config.json).</summary>
public sealed record GenerationDefaults
{
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? RepetitionPenalty { get; init; }
    public int? MaxNewTokens { get; init; }
    public bool? DoSample { get; init; }
    public int[] EosIds { get; init; } = [];
    public int? BosId { get; init; }
}

namespace Cria.Server;

/// <summary>The sampling and length settings a client may send; null means "the server's default".</summary>
public sealed record GenerationParameters
{
    public int? MaxTokens { get; init; }

    /// <summary>The field <see cref="MaxTokens"/> came from, for error messages (max_tokens or max_completion_tokens).</summary>
    public string MaxTokensField { get; init; } = "max_tokens";
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? TopK { get; init; }
    public float? MinP { get; init; }
    public float? RepeatPenalty { get; init; }
    public long? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Keep generating past end-of-sequence tokens (llama.cpp's server extension "ignore_eos").</summary>
    public bool IgnoreEos { get; init; }
}

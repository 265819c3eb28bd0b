namespace Cria.Generation;

public sealed record GenerationRequest
{
    public required int[] PromptIds { get; init; }
    public int MaxNewTokens { get; init; } = 256;
    public SamplingOptions Sampling { get; init; } = new();
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Stop at the tokenizer's end-of-sequence ids (on by default).</summary>
    public bool StopAtEos { get; init; } = true;

    /// <summary>More token ids that end generation (a chat template's end-of-turn token).</summary>
    public IReadOnlyList<int> StopIds { get; init; } = [];
}

public enum FinishReason
{
    Length,
    EndOfSequence,
    StopString,
    ContextFull,
    Cancelled,
}

/// <summary>One step of generation: the token and the text it made safe to print (may be empty).</summary>
public readonly record struct GeneratedToken(int Id, string Text);

public sealed class GenerationStats
{
    public int PromptTokens { get; set; }
    public int GeneratedTokens { get; set; }
    public TimeSpan PromptTime { get; set; }
    public TimeSpan GenerationTime { get; set; }
    public FinishReason FinishReason { get; set; }
    public List<int> GeneratedIds { get; } = new();

    public double PromptTokensPerSecond => PromptTime.TotalSeconds > 0 ? PromptTokens / PromptTime.TotalSeconds : 0;
    public double GenerationTokensPerSecond => GenerationTime.TotalSeconds > 0 ? GeneratedTokens / GenerationTime.TotalSeconds : 0;
}

using System.ComponentModel;
using Cria.Generation;
using Cria.Model;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

/// <summary>Sampling options shared by generate and chat; unset options fall back to the model's generation_config.json, then to Cria's defaults.</summary>
public class SamplingSettings : ModelSettings
{
    [CommandOption("-n|--max-tokens <N>")]
    [Description("Maximum number of new tokens.")]
    public int? MaxTokens { get; set; }

    [CommandOption("--temperature <T>")]
    [Description("Sampling temperature; 0 is greedy.")]
    public float? Temperature { get; set; }

    [CommandOption("--top-k <K>")]
    public int? TopK { get; set; }

    [CommandOption("--top-p <P>")]
    public float? TopP { get; set; }

    [CommandOption("--min-p <M>")]
    public float? MinP { get; set; }

    [CommandOption("--repeat-penalty <R>")]
    public float? RepeatPenalty { get; set; }

    [CommandOption("--seed <S>")]
    public ulong? Seed { get; set; }

    [CommandOption("--stop <TEXT>")]
    [Description("Stop when this text is generated (repeatable).")]
    public string[] Stop { get; set; } = [];

    public SamplingOptions Sampling(GenerationDefaults d)
    {
        SamplingOptions defaults = new();
        float temperature = Temperature ?? (d.DoSample == false ? 0f : d.Temperature ?? defaults.Temperature);
        SamplingOptions o = new()
        {
            Temperature = temperature,
            TopK = TopK ?? d.TopK ?? defaults.TopK,
            TopP = TopP ?? d.TopP ?? defaults.TopP,
            MinP = MinP ?? defaults.MinP,
            RepeatPenalty = RepeatPenalty ?? d.RepetitionPenalty ?? defaults.RepeatPenalty,
            Seed = Seed ?? (ulong)Environment.TickCount64,
        };
        o.Validate();
        return o;
    }

    public int MaxNewTokens(GenerationDefaults d, int fallback)
    {
        int n = MaxTokens ?? d.MaxNewTokens ?? fallback;
        if (n < 0) throw new ArgumentException($"--max-tokens must be ≥ 0, got {n}");
        return n;
    }
}

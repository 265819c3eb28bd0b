using System.ComponentModel;
using System.Diagnostics;
using Cria.Formats;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class ConvertSettings : CommandSettings
{
    [CommandArgument(0, "<input>")]
    [Description("Model to read: a .gguf file, a Hugging Face folder, a llama2.c .bin, or a pulled model's org/name.")]
    public string Input { get; set; } = "";

    [CommandArgument(1, "<output>")]
    [Description("Where to write: a path ending in .gguf (GGUF), .bin (llama2.c, F32 only) or anything else (Hugging Face folder). Replaced atomically.")]
    public string Output { get; set; } = "";

    [CommandOption("--type <TYPE>")]
    [Description("f32 (default), f16 or bf16: the type of the weight matrices (norms stay F32); for .gguf output also q8_0, q4_0, q4_k, q6_k (matrices whose rows do not fit the block stay F32).")]
    public string Type { get; set; } = "f32";
}

public sealed class ConvertCommand : Command<ConvertSettings>
{
    public override int Execute(CommandContext context, ConvertSettings settings, CancellationToken cancellationToken)
    {
        var type = ModelConverter.ParseType(settings.Type);
        long start = Stopwatch.GetTimestamp();
        ConvertSummary summary = FileProgress.Run($"converting to {ModelConverter.TargetOf(settings.Output)}", progress => ModelConverter.Convert(settings.Input, settings.Output, type, (done, total) => progress(done, total)));
        Console.Out.WriteLine($"wrote {settings.Output} ({summary.Target}): {summary.Tensors} tensors, {summary.InType} as {summary.Type}, " +
            $"q/k rows {(summary.QkPermuted ? "permuted" : "kept")}, tokenizer {(summary.TokenizerCarried ? "carried" : "not carried")}" +
            (summary.TokenizerProblem != null ? $" ({summary.TokenizerProblem})" : "") + ", " +
            $"{Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return 0;
    }
}

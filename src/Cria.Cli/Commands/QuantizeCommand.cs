using System.ComponentModel;
using System.Diagnostics;
using Cria.Formats;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class QuantizeSettings : CommandSettings
{
    [CommandArgument(0, "<input>")]
    [Description("Model to read: a .gguf file, a Hugging Face folder, a llama2.c .bin or a pulled model's org/name.")]
    public string Input { get; set; } = "";

    [CommandArgument(1, "<output>")]
    [Description("GGUF file to write (replaced atomically).")]
    public string Output { get; set; } = "";

    [CommandOption("--type <TYPE>")]
    [Description("q8_0, q4_0, q4_k, q6_k, f16, bf16 or f32: the type of every matrix whose rows fit its block (others stay F32).")]
    public string Type { get; set; } = "";
}

public sealed class QuantizeCommand : Command<QuantizeSettings>
{
    public override int Execute(CommandContext context, QuantizeSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.Type)) throw new ArgumentException($"--type is required ({GgufQuantizer.TypeNames})");
        var type = GgufQuantizer.ParseType(settings.Type);
        long start = Stopwatch.GetTimestamp();
        QuantizeSummary summary = FileProgress.Run($"quantizing to {type}", progress => GgufQuantizer.Quantize(settings.Input, settings.Output, type, progress));
        Console.Out.WriteLine($"wrote {settings.Output}: {summary.Converted} matrices as {type}, {summary.KeptF32} tensors as F32, " +
            $"{summary.OutputBytes / 1e6:F1} MB in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return 0;
    }
}

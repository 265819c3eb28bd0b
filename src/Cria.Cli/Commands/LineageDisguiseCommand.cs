using System.ComponentModel;
using Cria.Lineage;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class LineageDisguiseSettings : CommandSettings
{
    [CommandArgument(0, "<input>")]
    [Description("Model to disguise (.gguf, .bin or Hugging Face folder).")]
    public string Input { get; set; } = "";

    [CommandArgument(1, "<output>")]
    [Description("Where to write the disguised copy (F32; .gguf, .bin or a folder, as cria convert).")]
    public string Output { get; set; } = "";

    [CommandOption("--seed <N>")]
    [Description("Seed of the rotation and permutations (default 1).")]
    public int Seed { get; set; } = 1;
}

/// <summary>
/// `cria disguise IN OUT`: writes a function-preserving disguise of a model (norms folded, heads and MLP units
/// permuted, residual stream rotated) — the same logits, tensors that look unrelated — to test lineage tools with.
/// </summary>
public sealed class LineageDisguiseCommand : Command<LineageDisguiseSettings>
{
    public override int Execute(CommandContext context, LineageDisguiseSettings s, CancellationToken cancellationToken)
    {
        if (!File.Exists(s.Input) && !Directory.Exists(s.Input)) throw new FileNotFoundException($"{s.Input}: no such model file or folder");
        if (Path.GetFullPath(s.Input).TrimEnd('/') == Path.GetFullPath(s.Output).TrimEnd('/')) throw new ArgumentException($"{s.Output}: the output would overwrite the input");
        DisguiseSummary d = FunctionPreservingTransform.Write(s.Input, s.Output, s.Seed);
        Console.Out.WriteLine($"wrote {s.Output}: residual stream rotated (orthogonality error {d.MaxAbsOrthogonalityError:G2}), norms folded, " +
            $"KV heads reordered [{string.Join(",", d.KvHeadOrder)}], MLP units permuted, output head untied (seed {d.Seed})");
        return 0;
    }
}

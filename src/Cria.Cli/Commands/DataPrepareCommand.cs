using System.ComponentModel;
using Cria.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class DataPrepareSettings : CommandSettings
{
    [CommandArgument(0, "<inputs>")]
    [Description("Text files (documents split on <|endoftext|>, else on blank lines) or .jsonl files.")]
    public string[] Inputs { get; set; } = [];

    [CommandOption("--tokenizer <PATH>")]
    [Description("A model (its tokenizer is used) or a tokenizer file/folder.")]
    public string Tokenizer { get; set; } = "";

    [CommandOption("-o|--out <DIR>")]
    [Description("New or empty folder for the token shards and cria-data.json.")]
    public string Out { get; set; } = "";

    [CommandOption("--field <NAME>")]
    [Description("JSONL field holding the text (default: text).")]
    public string Field { get; set; } = "text";

    [CommandOption("--val-fraction <F>")]
    [Description("Fraction of documents held out for validation (default 0).")]
    public double ValFraction { get; set; }

    [CommandOption("--shard-tokens <N>", IsHidden = true)]
    public long ShardTokens { get; set; } = 100_000_000;

    public override ValidationResult Validate()
    {
        if (Tokenizer.Length == 0) return ValidationResult.Error("--tokenizer is required");
        if (Out.Length == 0) return ValidationResult.Error("--out is required");
        if (ShardTokens < 1) return ValidationResult.Error("--shard-tokens must be positive");
        return ValidationResult.Success();
    }
}

public sealed class DataPrepareCommand : Command<DataPrepareSettings>
{
    public override int Execute(CommandContext context, DataPrepareSettings settings, CancellationToken cancellationToken)
    {
        var tokenizer = TokenizerSource.Load(settings.Tokenizer).Tokenizer;
        DataPreparer preparer = new() { Tokenizer = tokenizer, Field = settings.Field, ValFraction = settings.ValFraction, ShardTokens = settings.ShardTokens };
        TokenDataset? result = null;
        CriaApp.Status.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask("tokenizing", maxValue: 1);
                result = preparer.Prepare(settings.Inputs, settings.Out, new Progress<PrepareProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Value = p.Bytes;
                    task.Description = $"{p.Documents} docs, {p.Tokens} tokens";
                }));
                task.Value = task.MaxValue;
            });
        Console.Error.WriteLine($"{result!.Documents} documents: {result.TrainTokens} train tokens, {result.ValTokens} validation tokens ({(result.BytesPerToken == 2 ? "uint16" : "uint32")}) in {settings.Out}");
        return 0;
    }
}

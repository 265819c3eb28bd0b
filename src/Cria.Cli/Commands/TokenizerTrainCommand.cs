using System.ComponentModel;
using System.Diagnostics;
using Cria.Text;
using Cria.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class TokenizerTrainSettings : CommandSettings
{
    [CommandArgument(0, "<files>")]
    [Description("Text files (documents split on <|endoftext|>, else on blank lines) or .jsonl files.")]
    public string[] Files { get; set; } = [];

    [CommandOption("--vocab-size <N>")]
    [Description("Vocabulary size including the special tokens and the 256 byte tokens.")]
    public int VocabSize { get; set; }

    [CommandOption("-o|--out <DIR>")]
    [Description("Folder for tokenizer.json and tokenizer_config.json (must not hold a tokenizer.json yet).")]
    public string Out { get; set; } = "";

    [CommandOption("--special <TOKENS>")]
    [Description("Comma-separated special tokens, BOS first then EOS (default: <s>,</s>); one token serves as both.")]
    public string Special { get; set; } = "<s>,</s>";

    [CommandOption("--min-frequency <N>")]
    [Description("Pairs seen fewer times are not merged (default 2).")]
    public int MinFrequency { get; set; } = 2;

    [CommandOption("--field <NAME>")]
    [Description("JSONL field holding the text (default: text).")]
    public string Field { get; set; } = "text";

    public IReadOnlyList<string> SpecialTokens => Special.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override ValidationResult Validate()
    {
        if (Files.Length == 0) return ValidationResult.Error("give at least one text file");
        if (VocabSize <= 0) return ValidationResult.Error("--vocab-size N is required");
        if (Out.Length == 0) return ValidationResult.Error("--out is required");
        if (MinFrequency < 1) return ValidationResult.Error("--min-frequency must be at least 1");
        return ValidationResult.Success();
    }
}

/// <summary>`cria tokenizer train`: counts words over the files (streaming), learns the merges and writes a Hugging Face tokenizer folder.</summary>
public sealed class TokenizerTrainCommand : Command<TokenizerTrainSettings>
{
    public override int Execute(CommandContext context, TokenizerTrainSettings s, CancellationToken cancellationToken)
    {
        foreach (string f in s.Files)
            if (!File.Exists(f)) throw new FileNotFoundException($"{f}: input file does not exist");
        if (File.Exists(Path.Combine(s.Out, "tokenizer.json")))
            throw new IOException($"{s.Out}: already holds a tokenizer.json (choose a new folder; nothing was overwritten)");
        BpeTrainer trainer = new(s.VocabSize, s.SpecialTokens) { MinFrequency = s.MinFrequency };
        Stopwatch clock = Stopwatch.StartNew();
        BpeVocabulary vocab = Train(trainer, s.Files, s.Field, CriaApp.Status, cancellationToken);
        vocab.Save(s.Out);
        Console.Error.WriteLine($"{trainer.Documents:N0} documents, {trainer.Words:N0} words ({trainer.DistinctWords:N0} distinct): " +
            $"{vocab.Tokens.Count} tokens ({vocab.Merges.Count} merges) in {clock.Elapsed.TotalSeconds:F1} s; wrote {Path.Combine(s.Out, "tokenizer.json")}");
        if (vocab.Tokens.Count < s.VocabSize)
            CriaApp.Status.MarkupLineInterpolated($"[yellow]the text offers no more pairs seen at least {s.MinFrequency} times: the vocabulary has {vocab.Tokens.Count} of the {s.VocabSize} tokens asked[/]");
        return 0;
    }

    /// <summary>Counts the documents of <paramref name="files"/> and learns the merges, with a progress bar for each phase.</summary>
    public static BpeVocabulary Train(BpeTrainer trainer, IReadOnlyList<string> files, string field, IAnsiConsole console, CancellationToken ct)
    {
        BpeVocabulary? vocab = null;
        long total = Math.Max(1, files.Sum(f => new FileInfo(f).Length));
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask counting = ctx.AddTask("counting words", maxValue: total);
                long bytes = 0;
                foreach (string file in files)
                    foreach (string doc in DocumentReader.Read(file, field))
                    {
                        ct.ThrowIfCancellationRequested();
                        trainer.AddDocument(doc);
                        bytes += System.Text.Encoding.UTF8.GetByteCount(doc) + 1;
                        if (trainer.Documents % 64 == 0)
                        {
                            counting.Value = Math.Min(bytes, total);
                            counting.Description = $"counting words: {trainer.Documents:N0} docs";
                        }
                    }
                counting.Value = total;
                counting.Description = $"counted {trainer.Words:N0} words";
                ProgressTask merging = ctx.AddTask("merging", maxValue: Math.Max(1, trainer.VocabSize - trainer.SpecialTokens.Count - 256));
                vocab = trainer.Train(new SyncProgress<BpeTrainProgress>(p =>
                {
                    merging.Value = p.Merges;
                    merging.Description = $"merges: {p.Merges:N0}";
                }));
                merging.Value = merging.MaxValue;
            });
        return vocab!;
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

using System.ComponentModel;
using System.Diagnostics;
using Cria.Cli.Commands;
using Cria.Cli.Evaluation;
using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;
using Cria.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Demo;

public sealed class DemoSettings : CommandSettings
{
    [CommandOption("-o|--out <DIR>")]
    [Description("Folder for everything the demo writes (default ./cria-demo; when it is not empty, the next free cria-demo-N beside it).")]
    public string Out { get; set; } = "cria-demo";

    [CommandOption("--quick")]
    [Description("Smaller corpus, model and step counts: about a minute instead of a few.")]
    public bool Quick { get; set; }

    [CommandOption("--seed <S>")]
    [Description("Seed of the corpus generator and of the models (default 42); the same seed gives the same run.")]
    public int Seed { get; set; } = 42;

    [CommandOption("-t|--threads <N>")]
    public int? Threads { get; set; }

    public override ValidationResult Validate() =>
        Threads is < 1 or > 1024 ? ValidationResult.Error("--threads must be between 1 and 1024") : ValidationResult.Success();
}

/// <summary>
/// `cria demo`: the whole story on a fresh machine, offline. Generates a corpus, trains a tokenizer and a Base
/// model from scratch, continues Base on new data (Derived) and trains an unrelated Rival, evaluates and ranks
/// the three in a leaderboard, traces their lineage from the weights, and samples from Derived.
/// </summary>
public sealed class DemoCommand : Command<DemoSettings>
{
    public override int Execute(CommandContext context, DemoSettings s, CancellationToken cancellationToken)
    {
        if (s.Threads is int t) WorkerPool.ConfigureShared(t);
        DemoPlan plan = s.Quick ? DemoPlan.Quick : DemoPlan.Full;
        string outDir = FreshFolder(s.Out);
        Directory.CreateDirectory(outDir);
        Stopwatch total = Stopwatch.StartNew();
        IAnsiConsole ui = AnsiConsole.Console;
        ui.Write(new Rule($"[bold]cria demo[/] ({plan.Name}, seed {s.Seed}, {WorkerPool.Shared.Threads} threads)").LeftJustified());
        ui.MarkupLineInterpolated($"Everything is generated here and written to [blue]{outDir}[/]; nothing is downloaded.");

        // 1. Corpus.
        Step(ui, 1, "A corpus, generated",
            "Old data: children's stories from a small grammar. New data: facts about invented creatures (where they live, what they eat), " +
            "and a multiple-choice benchmark that asks for those facts in a question form the new data never uses.");
        FactGenerator facts = new(s.Seed, plan.Entities);
        DemoCorpus corpus = DemoCorpus.Write(outDir, plan, s.Seed, facts);
        ui.MarkupLineInterpolated($"  {plan.Stories:N0} stories, {plan.FactDocuments:N0} fact documents about {plan.Entities} creatures, {corpus.BenchmarkRows} benchmark questions, {plan.HeldOutStories} held-out stories.");
        ui.MarkupLineInterpolated($"  e.g. [grey]{facts.Document(2)}[/]");

        // 2. Tokenizer and Base.
        Step(ui, 2, "A tokenizer and a Base model, from scratch",
            $"A byte-level BPE tokenizer (up to {plan.VocabSize} tokens) learned from the stories, then a LLaMA-shaped model trained on them.");
        string tokDir = Path.Combine(outDir, "tokenizer");
        BpeTrainer bpe = new(plan.VocabSize, ["<s>", "</s>"]);
        BpeVocabulary vocab = TokenizerTrainCommand.Train(bpe, [corpus.Stories], "text", CriaApp.Status, cancellationToken);
        vocab.Save(tokDir);
        ITokenizer tok = TokenizerLoader.Load(tokDir).Tokenizer;
        ui.MarkupLineInterpolated($"  tokenizer: {vocab.Tokens.Count} tokens ({vocab.Merges.Count} merges); \"Once upon a time\" → {tok.Encode("Once upon a time", false).Length} tokens");
        LlamaConfig config = plan.Config(tok.VocabSize);
        TokenDataset stories = DemoTraining.Prepare(tok, [corpus.Stories], Path.Combine(outDir, "data", "stories"));
        string modelsDir = Path.Combine(outDir, "models");
        string baseDir = Path.Combine(modelsDir, "base"), derivedDir = Path.Combine(modelsDir, "derived"), rivalDir = Path.Combine(modelsDir, "rival");
        TrainableLlama baseModel = new(config);
        baseModel.InitializeRandom((ulong)s.Seed);
        TrainingOutcome baseRun = DemoTraining.Train("Base", baseModel, stories, plan, plan.BaseSteps, plan.Lr, (ulong)s.Seed, tokDir, tok, baseDir);
        Report(ui, "Base", baseRun, config, stories.TrainTokens);

        // 3. Derived and Rival.
        Step(ui, 3, "Derived: Base trained further on the new data; Rival: unrelated",
            "Derived continues Base on the facts (with some stories replayed). Rival stands for someone else's model: Base's shape and tokenizer, " +
            "but its own random start (another seed) and its own stories (the same kind, with other characters and places).");
        TokenDataset newData = DemoTraining.Prepare(tok, [corpus.Facts, corpus.Replay], Path.Combine(outDir, "data", "new"));
        TrainableLlama derived;
        using (LoadedModel b = ModelLoader.Load(baseDir)) derived = TrainableLlama.FromLoaded(b);
        TrainingOutcome derivedRun = DemoTraining.Train("Derived", derived, newData, plan, plan.DerivedSteps, plan.DerivedLr, (ulong)s.Seed + 1, tokDir, tok, derivedDir);
        Report(ui, "Derived", derivedRun, config, newData.TrainTokens);
        TokenDataset rivalData = DemoTraining.Prepare(tok, [corpus.RivalStories], Path.Combine(outDir, "data", "rival"));
        TrainableLlama rival = new(config);
        rival.InitializeRandom((ulong)s.Seed + 1000);
        TrainingOutcome rivalRun = DemoTraining.Train("Rival", rival, rivalData, plan, plan.BaseSteps, plan.Lr, (ulong)s.Seed + 1000, tokDir, tok, rivalDir);
        Report(ui, "Rival", rivalRun, config, rivalData.TrainTokens);

        // 4. Evaluation and leaderboard.
        Step(ui, 4, "Evaluate and rank",
            $"The evaluation engine scores each model on the benchmark ({DemoCorpus.FactsTaskName}: acc, acc_norm) and on held-out stories " +
            $"({DemoCorpus.PerplexityTaskName}: perplexity); every run goes into the leaderboard database.");
        string dbPath = Path.Combine(outDir, "leaderboard.db");
        List<DemoScores> scores = [];
        using (ResultsDb db = new(dbPath))
        {
            foreach ((string name, string dir) in new[] { ("Base", baseDir), ("Derived", derivedDir), ("Rival", rivalDir) })
                scores.Add(DemoEvaluation.Evaluate(name, dir, corpus, db, cancellationToken));
            Standings standings = new(db.Runs(), null);
            AtomicFile.WriteAllText(Path.Combine(outDir, "leaderboard.html"), LeaderboardRenderers.Html(standings));
            LeaderboardRenderers.Png(standings, Path.Combine(outDir, "leaderboard.png"));
        }
        DemoSummary.Ranking(ui, scores, corpus.BenchmarkRows);

        // 5. Lineage.
        Step(ui, 5, "Where did each model come from?",
            "Lineage looks at the weights alone (no training logs): function-level invariants of each layer, compared with what unrelated layers " +
            "score (random initializations of the same shape, and mismatched layers of the two models).");
        DemoLineage.Run(ui, baseDir, derivedDir, rivalDir, Path.Combine(outDir, "lineage.json"));

        // 6. Talk to Derived.
        Step(ui, 6, "Talk to Derived", "Greedy and sampled continuations from the model that learned the new facts.");
        DemoSummary.Samples(ui, derivedDir, facts);
        _stepTimes.Add((6, _stepClock.Elapsed));

        DemoSummary.Files(ui, outDir, total.Elapsed, _stepTimes);
        return 0;
    }

    /// <summary>The folder asked for when it is absent or empty, else the first free DIR-2, DIR-3, … beside it (nothing is overwritten).</summary>
    internal static string FreshFolder(string requested)
    {
        string full = Path.GetFullPath(requested).TrimEnd(Path.DirectorySeparatorChar);
        if (IsFree(full)) return full;
        for (int i = 2; ; i++)
        {
            string candidate = $"{full}-{i}";
            if (IsFree(candidate))
            {
                CriaApp.Status.MarkupLineInterpolated($"[yellow]{full} is not empty; writing to {candidate} instead (nothing is overwritten)[/]");
                return candidate;
            }
        }
    }

    private static bool IsFree(string dir) => !File.Exists(dir) && (!Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any());

    private readonly List<(int Step, TimeSpan Took)> _stepTimes = [];
    private readonly Stopwatch _stepClock = new();

    private void Step(IAnsiConsole ui, int n, string title, string narrative)
    {
        if (_stepClock.IsRunning) _stepTimes.Add((n - 1, _stepClock.Elapsed));
        _stepClock.Restart();
        ui.WriteLine();
        ui.Write(new Rule($"[bold]{n}. {Markup.Escape(title)}[/]").LeftJustified());
        ui.MarkupLineInterpolated($"[grey]{narrative}[/]");
    }

    private static void Report(IAnsiConsole ui, string name, TrainingOutcome r, LlamaConfig c, long dataTokens) =>
        ui.MarkupLine(Markup.Escape(System.FormattableString.Invariant(
            $"  {name}: {r.Parameters:N0} parameters (dim {c.Dim}, {c.Layers} layers, {c.Heads} heads), {r.Steps} steps on {dataTokens:N0} tokens: loss {r.FirstLoss:F2} → {r.LastLoss:F2}, {r.TokensPerSecond:F0} tokens/s, {r.Elapsed.TotalSeconds:F1} s")));
}

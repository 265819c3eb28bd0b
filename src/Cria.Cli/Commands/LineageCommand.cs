using System.ComponentModel;
using System.Globalization;
using Cria.Formats;
using Cria.Lineage;
using Cria.Model;
using Cria.Tensors;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class LineageSettings : CommandSettings
{
    [CommandArgument(0, "<modelA>")]
    [Description("The (possible) parent: a .gguf or llama2.c .bin file, or a Hugging Face folder.")]
    public string ModelA { get; set; } = "";

    [CommandArgument(1, "[modelB]")]
    [Description("The model to test against it (omit with --against).")]
    public string? ModelB { get; set; }

    [CommandOption("--against <DIR>")]
    [Description("Compare <modelA> with every model in DIR (.gguf, .bin, Hugging Face folders) and rank the likely relatives.")]
    public string? Against { get; set; }

    [CommandOption("--json")]
    [Description("Print the report(s) as JSON instead of the summary.")]
    public bool Json { get; set; }

    [CommandOption("--report <FILE>")]
    [Description("Write a self-contained HTML report with the layer similarity heatmap (with --against: the top-ranked pair).")]
    public string? Report { get; set; }

    [CommandOption("--seed <N>")]
    [Description("Seed for the probe-token sample and the random-init null (default 1).")]
    public int Seed { get; set; } = 1;

    [CommandOption("--null-samples <N>")]
    [Description("Random-initialized layers per model shape for the null distribution (default 4).")]
    public int NullSamples { get; set; } = 4;

    [CommandOption("--tokens <N>")]
    [Description("At most this many shared tokens as probes (default 512).")]
    public int Tokens { get; set; } = 512;

    [CommandOption("-t|--threads <N>")]
    [Description("Worker threads (default: all cores).")]
    public int? Threads { get; set; }

    public override ValidationResult Validate()
    {
        if ((ModelB == null) == (Against == null)) return ValidationResult.Error("give either <modelB> or --against DIR");
        if (NullSamples is < 1 or > 64) return ValidationResult.Error($"--null-samples must be between 1 and 64, got {NullSamples}");
        if (Tokens is < 8 or > 4096) return ValidationResult.Error($"--tokens must be between 8 and 4096, got {Tokens}");
        if (Threads is < 1 or > 1024) return ValidationResult.Error($"--threads must be between 1 and 1024, got {Threads}");
        return ValidationResult.Success();
    }
}

/// <summary>`cria lineage A B` / `cria lineage A --against DIR`: was one model built on the other?</summary>
public sealed class LineageCommand : Command<LineageSettings>
{
    public override int Execute(CommandContext context, LineageSettings s, CancellationToken cancellationToken)
    {
        if (s.Threads is int t) WorkerPool.ConfigureShared(t);
        LineageOptions options = new() { Seed = s.Seed, NullSamples = s.NullSamples, MaxTokens = s.Tokens };
        using LoadedModel a = Open(s.ModelA);
        List<LineageReport> reports = new();
        List<(string Path, string Error)> failed = new();
        if (s.ModelB != null)
        {
            using LoadedModel b = Open(s.ModelB);
            reports.Add(Run(a, b, options, Path.GetFileName(s.ModelB.TrimEnd('/'))));
        }
        else
        {
            string dir = s.Against!;
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: --against needs a folder of models");
            string self = Path.GetFullPath(s.ModelA).TrimEnd('/');
            List<string> candidates = Candidates(dir).Where(p => Path.GetFullPath(p).TrimEnd('/') != self).ToList();
            if (candidates.Count == 0) throw new ArgumentException($"{dir}: no models (.gguf, .bin or Hugging Face folders) to compare with");
            for (int i = 0; i < candidates.Count; i++)
            {
                try
                {
                    using LoadedModel b = Open(candidates[i]);
                    reports.Add(Run(a, b, options, $"[{i + 1}/{candidates.Count}] {Path.GetFileName(candidates[i])}"));
                }
                catch (Exception e) when (e is CriaFormatException or IOException or ArgumentException or NotSupportedException or InvalidOperationException)
                {
                    failed.Add((candidates[i], e.Message));
                }
            }
            reports = Rank(reports);
        }

        if (s.Report != null && reports.Count > 0)
            AtomicFile.Write(s.Report, st => st.Write(System.Text.Encoding.UTF8.GetBytes(LineageHtml.Render(reports[0]))));
        if (s.Json)
        {
            Console.Out.WriteLine(s.ModelB != null ? LineageJson.Serialize(reports[0]) : LineageJson.Serialize(reports));
        }
        else if (s.ModelB != null)
        {
            Summary(reports[0]);
        }
        else
        {
            Ranking(reports);
        }
        foreach (var (path, error) in failed) CriaApp.Status.MarkupLine($"[yellow]skipped {Markup.Escape(path)}: {Markup.Escape(error)}[/]");
        if (s.Report != null && reports.Count > 0) CriaApp.Status.MarkupLine($"[grey]wrote {Markup.Escape(s.Report)}[/]");
        return 0;
    }

    private static LoadedModel Open(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such model file or folder");
        return ModelLoader.Load(path);
    }

    /// <summary>Most likely relatives first: derived before inconclusive before independent, then by z.</summary>
    public static List<LineageReport> Rank(IEnumerable<LineageReport> reports) =>
        reports.OrderBy(r => r.Verdict switch { LineageVerdict.Derived => 0, LineageVerdict.Inconclusive => 1, _ => 2 })
            .ThenByDescending(r => double.IsFinite(r.ZScore) ? r.ZScore : double.MinValue).ToList();

    private static IEnumerable<string> Candidates(string dir)
    {
        foreach (string f in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            if (f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || (f.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(f).StartsWith("tok", StringComparison.OrdinalIgnoreCase)))
                yield return f;
        foreach (string d in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
            if (File.Exists(Path.Combine(d, "config.json"))) yield return d;
    }

    private static LineageReport Run(LoadedModel a, LoadedModel b, LineageOptions options, string label)
    {
        LineageReport? report = null;
        CriaApp.Status.Status().Start($"lineage {Markup.Escape(label)}", ctx =>
        {
            report = LineageAnalyzer.Compare(a, b, options, new StatusProgress(ctx, label));
        });
        return report!;
    }

    private sealed class StatusProgress(StatusContext ctx, string label) : IProgress<string>
    {
        public void Report(string value) => ctx.Status($"lineage {Markup.Escape(label)}: {Markup.Escape(value)}");
    }

    private static string Color(LineageVerdict v) => v switch { LineageVerdict.Derived => "red", LineageVerdict.Independent => "green", _ => "yellow" };

    private static string F(double v, string f = "F3") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "—";

    private static void Summary(LineageReport r)
    {
        IAnsiConsole o = AnsiConsole.Console;
        o.MarkupLine($"[bold]A[/] {Markup.Escape(r.ModelA)}");
        o.MarkupLine($"[bold]B[/] {Markup.Escape(r.ModelB)}");
        o.MarkupLine($"verdict: [bold {Color(r.Verdict)}]{r.Verdict.ToString().ToLowerInvariant()}[/]  score {F(r.Score, "F4")} ± {F(r.ScoreSe, "F4")}  null {F(r.NullMean, "F4")} ± {F(r.NullStd, "F4")}  z {F(r.ZScore, "F1")}  p {F(r.PValue, "G3")}");
        o.MarkupLine(Markup.Escape(r.Reason));
        o.WriteLine();
        foreach (string e in r.Evidence) o.MarkupLine($" • {Markup.Escape(e)}");
        if (r.LayerSimilarity.Length > 0 && r.LayerSimilarity.GetLength(1) <= 16)
        {
            Table t = new Table().Title("layer similarity (rows A, columns B; * aligned)").Border(TableBorder.Simple);
            t.AddColumn("A\\B");
            for (int j = 0; j < r.LayerSimilarity.GetLength(1); j++) t.AddColumn(new TableColumn(j.ToString(CultureInfo.InvariantCulture)).RightAligned());
            HashSet<(int, int)> aligned = r.Alignment.ToHashSet();
            for (int i = 0; i < r.LayerSimilarity.GetLength(0); i++)
                t.AddRow([i.ToString(CultureInfo.InvariantCulture), .. Enumerable.Range(0, r.LayerSimilarity.GetLength(1)).Select(j => F(r.LayerSimilarity[i, j], "F2") + (aligned.Contains((i, j)) ? "*" : " "))]);
            o.Write(t);
        }
        o.MarkupLine($"[grey]{F(r.Elapsed.TotalSeconds, "F1")} s[/]");
    }

    private static void Ranking(List<LineageReport> reports)
    {
        Table t = new Table().Border(TableBorder.Simple);
        foreach (string c in new[] { "#", "model", "verdict", "score", "z", "tensor cosine", "shared tokens" }) t.AddColumn(new TableColumn(c).NoWrap());
        int rank = 1;
        foreach (LineageReport r in reports)
            t.AddRow((rank++).ToString(CultureInfo.InvariantCulture), Markup.Escape(Path.GetFileName(r.ModelB.TrimEnd('/'))), $"[{Color(r.Verdict)}]{r.Verdict.ToString().ToLowerInvariant()}[/]",
                F(r.Score, "F4"), F(r.ZScore, "F1"), r.MeanTensorCosine is double c ? F(c) : "—", r.Tokens.Shared.ToString(CultureInfo.InvariantCulture));
        AnsiConsole.Console.Write(t);
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Cria.Benchmarking;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class BenchSettings : ModelSettings
{
    [CommandOption("-p|--prompt <N>")]
    [Description("Prompt tokens fed in one batch (the ppN test; 0 skips it). Default 512.")]
    public int Prompt { get; set; } = 512;

    [CommandOption("-n|--gen <N>")]
    [Description("Tokens generated one at a time (the tgN test; 0 skips it). Default 128.")]
    public int Gen { get; set; } = 128;

    [CommandOption("-r|--repetitions <N>")]
    [Description("Timed repetitions of each test, after a warm-up. Default 5.")]
    public int Repetitions { get; set; } = 5;

    [CommandOption("--json")]
    [Description("Print one JSON object instead of the table.")]
    public bool Json { get; set; }
}

/// <summary>
/// `cria bench`: llama-bench-style prompt-processing and generation speed (mean ± standard deviation over
/// repetitions), with the model's load time and the process's resident memory after loading and after the run.
/// </summary>
public sealed class BenchCommand : Command<BenchSettings>
{
    public override int Execute(CommandContext context, BenchSettings s, CancellationToken cancellationToken)
    {
        if (s.Prompt < 0 || s.Gen < 0) throw new ArgumentException("-p and -n must be 0 or more");
        if (s.Prompt == 0 && s.Gen == 0) throw new ArgumentException("nothing to measure: -p and -n are both 0");
        if (s.Repetitions < 1) throw new ArgumentException($"-r must be at least 1, got {s.Repetitions}");
        string? loadBefore = ProcessMemory.LoadAverage();

        long start = Stopwatch.GetTimestamp();
        using LoadedModel m = s.Open(requireTokenizer: false);
        int positions = Math.Max(s.Prompt, s.Gen);
        int ctx = s.Context ?? positions;
        if (ctx < positions) throw new ArgumentException($"--ctx {ctx} is smaller than the longest test ({positions} tokens)");
        if (ctx > m.Config.MaxSeqLen)
            Console.Error.WriteLine($"warning: {ctx} positions exceed the {m.Config.MaxSeqLen} the model was trained with");
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(ctx);
        double loadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        ProcessMemory? afterLoad = ProcessMemory.Read();

        ThroughputBenchmark bench = new(model, cache, m.Tokenizer?.BosId ?? -1);
        List<ThroughputTest> tests = new();
        CriaApp.Status.Status().Start("warming up", status =>
        {
            bench.WarmUp(s.Prompt, s.Gen);
            void Show(string name, int r, int reps) => status.Status($"{name}: repetition {r + 1}/{reps}");
            if (s.Prompt > 0) tests.Add(bench.Prompt(s.Prompt, s.Repetitions, (r, n) => Show($"pp{s.Prompt}", r, n)));
            if (s.Gen > 0) tests.Add(bench.Generation(s.Gen, s.Repetitions, (r, n) => Show($"tg{s.Gen}", r, n)));
        });
        ProcessMemory? afterRun = ProcessMemory.Read();

        BenchReport report = new(m, WorkerPool.Shared.Threads, loadSeconds, afterLoad, afterRun, tests, loadBefore, ProcessMemory.LoadAverage());
        if (s.Json) Console.Out.WriteLine(report.ToJson());
        else report.WriteTable(AnsiConsole.Console);
        return 0;
    }
}

/// <summary>What `cria bench` measured, as a table or as JSON.</summary>
internal sealed record BenchReport(LoadedModel Model, int Threads, double LoadSeconds, ProcessMemory? AfterLoad, ProcessMemory? AfterRun,
    IReadOnlyList<ThroughputTest> Tests, string? LoadAverageBefore, string? LoadAverageAfter)
{
    /// <summary>The type holding most of the weight bytes, as llama-bench names a model's type.</summary>
    public string MainType => Model.Weights.Matrices.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength)).First().Key.ToString();

    public void WriteTable(IAnsiConsole console)
    {
        LlamaConfig c = Model.Config;
        // Piped output would otherwise be wrapped at 80 columns.
        if (Console.IsOutputRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 160);
        Table table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("model").NoWrap()).AddColumn("type").AddColumn(new TableColumn("size").RightAligned())
            .AddColumn(new TableColumn("params").RightAligned()).AddColumn(new TableColumn("threads").RightAligned()).AddColumn("test")
            .AddColumn(new TableColumn("t/s").RightAligned().NoWrap());
        string name = Path.GetFileName(Model.Path.TrimEnd(Path.DirectorySeparatorChar));
        foreach (ThroughputTest t in Tests)
            table.AddRow(Markup.Escape(name), MainType, InfoCommand.Human(Model.WeightBytes, 1024) + "B", InfoCommand.Human(c.ParameterCount, 1000),
                Threads.ToString(CultureInfo.InvariantCulture), t.Name, $"{Rate(t.Mean, t.Mean)} ± {Rate(t.StdDev, t.Mean)}");
        console.Write(table);
        console.WriteLine($"{Model.Format}, {c.Architecture}, dim {c.Dim}, {c.Layers} layers, {c.Heads}/{c.KvHeads} heads, ffn {c.HiddenDim}, vocab {c.VocabSize}; " +
            $"{Tests[0].TokensPerSecond.Count} repetitions after a warm-up; SIMD {Simd.Level}");
        console.WriteLine($"load {LoadSeconds * 1000:F0} ms; resident memory after load {Memory(AfterLoad)}");
        console.WriteLine($"resident memory after the run {Memory(AfterRun)}");
        console.WriteLine($"load average {LoadAverageBefore ?? "unknown"} at start, {LoadAverageAfter ?? "unknown"} at end");
    }

    // Both figures of a row get the decimals that suit the mean.
    private static string Rate(double v, double mean) => v.ToString(mean >= 100 ? "F1" : "F2", CultureInfo.InvariantCulture);

    private static string Memory(ProcessMemory? m) => m is ProcessMemory p
        ? $"{InfoCommand.Human(p.Resident, 1024)}B (file-backed {InfoCommand.Human(p.File, 1024)}B, anonymous {InfoCommand.Human(p.Anonymous, 1024)}B)"
        : "unknown";

    public string ToJson()
    {
        LlamaConfig c = Model.Config;
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteStartObject("model");
            j.WriteString("path", Model.Path);
            j.WriteString("format", Model.Format);
            j.WriteString("architecture", c.Architecture);
            j.WriteString("type", MainType);
            j.WriteStartObject("matrix_types");
            foreach (var g in Model.Weights.Matrices.GroupBy(t => t.Type)) j.WriteNumber(g.Key.ToString(), g.Count());
            j.WriteEndObject();
            j.WriteNumber("size_bytes", Model.WeightBytes);
            j.WriteNumber("parameters", c.ParameterCount);
            j.WriteNumber("dim", c.Dim);
            j.WriteNumber("layers", c.Layers);
            j.WriteNumber("heads", c.Heads);
            j.WriteNumber("kv_heads", c.KvHeads);
            j.WriteNumber("ffn", c.HiddenDim);
            j.WriteNumber("vocab", c.VocabSize);
            j.WriteEndObject();
            j.WriteNumber("threads", Threads);
            j.WriteString("simd", Simd.Level.ToString());
            j.WriteNumber("load_seconds", LoadSeconds);
            j.WriteStartObject("memory");
            WriteMemory(j, "after_load", AfterLoad);
            WriteMemory(j, "after_run", AfterRun);
            j.WriteEndObject();
            j.WriteStartArray("tests");
            foreach (ThroughputTest t in Tests)
            {
                j.WriteStartObject();
                j.WriteString("name", t.Name);
                j.WriteNumber("n_prompt", t.PromptTokens);
                j.WriteNumber("n_gen", t.GeneratedTokens);
                j.WriteNumber("repetitions", t.TokensPerSecond.Count);
                j.WriteNumber("avg_ts", t.Mean);
                j.WriteNumber("stddev_ts", t.StdDev);
                j.WriteStartArray("samples_ts");
                foreach (double v in t.TokensPerSecond) j.WriteNumberValue(v);
                j.WriteEndArray();
                j.WriteEndObject();
            }
            j.WriteEndArray();
            if (LoadAverageBefore != null) j.WriteString("load_average_start", LoadAverageBefore);
            if (LoadAverageAfter != null) j.WriteString("load_average_end", LoadAverageAfter);
            j.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteMemory(Utf8JsonWriter j, string name, ProcessMemory? m)
    {
        if (m is not ProcessMemory p)
        {
            j.WriteNull(name);
            return;
        }
        j.WriteStartObject(name);
        j.WriteNumber("resident_bytes", p.Resident);
        j.WriteNumber("file_bytes", p.File);
        j.WriteNumber("anonymous_bytes", p.Anonymous);
        j.WriteNumber("peak_bytes", p.Peak);
        j.WriteEndObject();
    }
}

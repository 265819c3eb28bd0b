using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Cria.Cli.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Evaluation;
using Cria.Formats;
using Cria.Model;
using Spectre.Console.Cli;
using Spectre.Console;

namespace Cria.Cli.Commands;

public sealed class EvalSettings : ModelSettings
{
    [CommandOption("--tasks <LIST>")]
    [Description("Comma-separated task names (a task file name, a group member such as mmlu_astronomy, or a path to a .json task file).")]
    public string Tasks { get; set; } = "";

    [CommandOption("--data-dir <DIR>")]
    [Description("Folder holding the datasets as the task files name them (arc_easy/test.jsonl, …); files found there win. A task whose files are missing is downloaded from its Hugging Face Hub dataset into the HF cache (HF_ENDPOINT, HF_HUB_CACHE/HF_HOME, HF_HUB_OFFLINE=1 for cache only).")]
    public string? DataDir { get; set; }

    [CommandOption("--task-dir <DIR>")]
    [Description("Extra folder of task files, searched before the built-in tasks/ folder.")]
    public string? TaskDir { get; set; }

    [CommandOption("--output <DIR>")]
    [Description("Folder for results_<time>.json (and samples_<task>.jsonl with --log-samples).")]
    public string? Output { get; set; }

    [CommandOption("--log-samples")]
    [Description("Write every sample in the harness's layout.")]
    public bool LogSamples { get; set; }

    [CommandOption("--limit <N>")]
    [Description("Evaluate only the first N rows of each task.")]
    public int? Limit { get; set; }

    [CommandOption("--num-fewshot <N>")]
    [Description("Few-shot examples per prompt (default: the task's).")]
    public int? NumFewshot { get; set; }

    [CommandOption("--seed <S>")]
    [Description("Seed of the few-shot sampler and the bootstrap (default 1234).")]
    public int Seed { get; set; } = 1234;

    [CommandOption("--add-bos")]
    [Description("Start every encoding with BOS (the Open LLM Leaderboard v1 added none).")]
    public bool AddBos { get; set; }

    [CommandOption("--batch-size <N>")]
    [Description("Log-likelihood requests run through the model together (default 1); results are identical for every size.")]
    public int BatchSize { get; set; } = 1;

    [CommandOption("--db <FILE>")]
    [Description("Leaderboard database (default: cria/leaderboard.db in the user's data folder).")]
    public string? Db { get; set; }
}

public sealed class EvalCommand : Command<EvalSettings>
{
    /// <summary>Non-ASCII text stays readable in results files, as the harness writes them.</summary>
    internal static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    internal static readonly JsonSerializerOptions Indented = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public static string BuiltInTasks => Path.Combine(AppContext.BaseDirectory, "tasks");

    public override int Execute(CommandContext context, EvalSettings s, CancellationToken cancellationToken)
    {
        string[] names = s.Tasks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        List<string> folders = s.TaskDir != null ? [s.TaskDir, BuiltInTasks] : [BuiltInTasks];
        TaskLoader loader = new(folders);
        if (names.Length == 0) throw new ArgumentException($"--tasks is required; available tasks: {string.Join(", ", loader.Available())}");
        if (s.DataDir != null && !Directory.Exists(s.DataDir)) throw new DirectoryNotFoundException($"--data-dir {s.DataDir} does not exist");
        using TaskDataSource data = new(s.DataDir);
        if (s.BatchSize < 1) throw new ArgumentException($"--batch-size must be at least 1, got {s.BatchSize}");
        if (s.Output != null) Directory.CreateDirectory(s.Output);

        // Read every task and its data before loading the model, so that bad input fails in a second.
        // A task group (leaderboard) expands into its tasks at the group's shot counts; --num-fewshot still wins.
        List<(string Requested, TaskSpec Spec, List<PreparedTask> Parts)> tasks = [];
        List<TaskGroup> taskGroups = [];
        foreach (string name in names)
        {
            TaskGroup? taskGroup = loader.FindGroup(name);
            IEnumerable<(string Task, int? Shots)> members = taskGroup != null ? taskGroup.Members.Select(x => (x.Task, x.NumFewshot)) : [(name, null)];
            if (taskGroup != null) taskGroups.Add(taskGroup);
            foreach ((string task, int? shots) in members)
            {
                if (tasks.Any(t => t.Requested == task)) continue;
                (TaskSpec spec, string? group) = loader.Resolve(task);
                tasks.Add((task, spec, PreparedTask.Prepare(spec, group, data.FilesFor(spec, group, cancellationToken), s.Seed, s.NumFewshot ?? shots, s.Limit)));
            }
        }

        using LoadedModel m = Open(s);
        ModelIdentity id = ModelIdentity.Of(m);
        using LlamaModel model = new(m);
        using Scorer scorer = new(model, m.Tokenizer!, ContextFor(s, m), s.BatchSize) { AddBos = s.AddBos };
        using ResultsDb db = new(s.Db ?? ResultsDb.DefaultPath);
        string version = typeof(EvalCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

        JsonObject results = [], versions = [], nshot = [], configs = [], higher = [], nsamples = [], groupSubtasks = [];
        Dictionary<string, List<JsonObject>> samplesByTask = [];
        Stopwatch clock = Stopwatch.StartNew();
        foreach ((string requested, TaskSpec spec, List<PreparedTask> parts) in tasks)
        {
            List<(PreparedTask Part, Dictionary<string, MetricValue> Metrics)> done = [];
            foreach (PreparedTask part in parts)
            {
                List<JsonObject> samples = Run(part, scorer, db, id, cancellationToken);
                Dictionary<string, MetricValue> metrics = part.Aggregate(samples);
                done.Add((part, metrics));
                JsonObject r = ResultRow(part.Name, metrics);
                results[part.Name] = r;
                versions[part.Name] = spec.Version;
                nshot[part.Name] = part.NumFewshot;
                configs[part.Name] = Config(part);
                higher[part.Name] = new JsonObject(spec.Metrics.Select(x => KeyValuePair.Create(x, (JsonNode?)TaskSpec.HigherIsBetter(x))));
                nsamples[part.Name] = new JsonObject { ["original"] = part.OriginalCount, ["effective"] = part.Docs.Count };
                samplesByTask[part.Name] = samples;
                db.RecordRun(id, part.Name, part.ConfigHash, part.NumFewshot, part.Limit, part.Seed, samples.Count, r, version);
            }
            if (spec.GroupBy != null && parts.Count > 1)
            {
                JsonObject g = new() { ["alias"] = spec.Name };
                foreach (string key in done[0].Metrics.Keys)
                {
                    int comma = key.IndexOf(',');
                    var members = done.Select(d => (d.Metrics[key], d.Part.Docs.Count)).ToList();
                    MetricValue weighted = Aggregation.Group(members, weightBySize: true);
                    MetricValue macro = Aggregation.Group(members, weightBySize: false);
                    g[key] = Num(weighted.Value);
                    g[$"{key[..comma]}_stderr{key[comma..]}"] = Num(weighted.StdErr);
                    g[$"{key[..comma]}_macro{key[comma..]}"] = Num(macro.Value);
                    g[$"{key[..comma]}_macro_stderr{key[comma..]}"] = Num(macro.StdErr);
                }
                results[spec.Name] = g;
                groupSubtasks[spec.Name] = new JsonArray([.. parts.Select(p => (JsonNode)p.Name)]);
                versions[spec.Name] = spec.Version;
                nshot[spec.Name] = parts[0].NumFewshot;
                string groupHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', parts.Select(p => p.ConfigHash)))));
                db.RecordRun(id, spec.Name, groupHash, parts[0].NumFewshot, s.Limit, s.Seed, done.Sum(d => d.Part.Docs.Count), g, version);
            }
        }

        foreach (TaskGroup g in taskGroups)
        {
            // The plain average of each member's headline metric, as the v1 leaderboard reports it.
            static double Get(JsonObject res, string task, string key) => res[task]?[key] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
            static string StderrKey(string metric) => metric.Insert(metric.IndexOf(','), "_stderr");
            double[] values = [.. g.Members.Select(x => Get(results, x.Task, x.Metric))];
            // Members are independent samples: the mean's standard error is √(Σ se²) / n.
            double se = Math.Sqrt(g.Members.Sum(x => Math.Pow(Get(results, x.Task, StderrKey(x.Metric)), 2))) / g.Members.Count;
            JsonObject r = new() { ["alias"] = g.Name, ["average,none"] = Num(values.Average() * g.Scale), ["average_stderr,none"] = Num(se * g.Scale) };
            foreach ((GroupMember x, double v) in g.Members.Zip(values)) r[$"{x.Task}:{x.Metric}"] = Num(v * g.Scale);
            results[g.Name] = r;
            groupSubtasks[g.Name] = new JsonArray([.. g.Members.Select(x => (JsonNode)x.Task)]);
        }

        JsonObject doc = new()
        {
            ["results"] = results,
            ["group_subtasks"] = groupSubtasks,
            ["configs"] = configs,
            ["versions"] = versions,
            ["n-shot"] = nshot,
            ["higher_is_better"] = higher,
            ["n-samples"] = nsamples,
            ["config"] = new JsonObject
            {
                ["model"] = "cria",
                ["model_args"] = $"pretrained={id.Path}",
                ["model_sha256"] = id.Sha256,
                ["model_format"] = id.Format,
                ["model_dtype"] = id.DType,
                ["batch_size"] = s.BatchSize,
                ["max_length"] = scorer.MaxLength,
                ["add_bos"] = s.AddBos,
                ["limit"] = s.Limit,
                ["random_seed"] = s.Seed,
                ["fewshot_seed"] = s.Seed,
                ["cria_version"] = version,
            },
            ["git_hash"] = GitHash(),
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
            ["total_evaluation_time_seconds"] = clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture),
            ["forward_tokens"] = new JsonObject { ["computed"] = scorer.ForwardTokens, ["naive"] = scorer.NaiveTokens },
        };
        if (s.Output != null)
        {
            string file = Path.Combine(s.Output, $"results_{DateTime.UtcNow:yyyy-MM-ddTHH-mm-ss.ffffff}.json");
            AtomicFile.WriteAllText(file, doc.ToJsonString(Indented) + "\n");
            CriaApp.Status.MarkupLineInterpolated($"[grey]wrote {file}[/]");
            if (s.LogSamples)
                foreach ((string task, List<JsonObject> samples) in samplesByTask)
                    WriteSamples(Path.Combine(s.Output, $"samples_{task}.jsonl"), samples);
        }
        PrintSummary(results, nshot, scorer);
        return 0;
    }

    private static LoadedModel Open(EvalSettings s) => s.Open(requireTokenizer: true);

    private static int ContextFor(EvalSettings s, LoadedModel m) => s.ContextFor(m);

    /// <summary>A task's row in results_*.json and the leaderboard: each metric and its standard error, keyed as the harness does.</summary>
    internal static JsonObject ResultRow(string name, Dictionary<string, MetricValue> metrics)
    {
        JsonObject r = new() { ["alias"] = name };
        foreach ((string key, MetricValue v) in metrics)
        {
            int comma = key.IndexOf(',');
            r[key] = Num(v.Value);
            r[$"{key[..comma]}_stderr{key[comma..]}"] = Num(v.StdErr);
        }
        return r;
    }

    /// <summary>Scores every sample of <paramref name="part"/> not yet stored in the database, with a progress bar, saving each as it finishes.</summary>
    internal static List<JsonObject> Run(PreparedTask part, Scorer scorer, ResultsDb db, ModelIdentity id, CancellationToken ct)
    {
        Dictionary<int, JsonObject> stored = db.LoadSamples(id.Sha256, part.Name, part.ConfigHash);
        JsonObject?[] samples = new JsonObject?[part.Docs.Count];
        foreach ((int i, JsonObject o) in stored)
            if (i < samples.Length) samples[i] = o;
        int todo = samples.Count(x => x == null);
        if (todo < samples.Length) CriaApp.Status.MarkupLineInterpolated($"[grey]{part.Name}: resuming, {samples.Length - todo} of {samples.Length} samples already done[/]");
        if (todo > 0)
        {
            CriaApp.Status.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    ProgressTask bar = ctx.AddTask(part.Name, maxValue: samples.Length);
                    bar.Value = samples.Length - todo;
                    // Docs go to the scorer in groups of BatchSize (each has at least one request), so every model
                    // pass is full; each finished doc is stored before the next group starts.
                    int[] pending = [.. Enumerable.Range(0, samples.Length).Where(i => samples[i] == null)];
                    foreach (int[] group in pending.Chunk(scorer.BatchSize))
                    {
                        ct.ThrowIfCancellationRequested();
                        List<JsonObject> records = part.EvaluateMany(group, scorer);
                        for (int k = 0; k < group.Length; k++)
                        {
                            db.SaveSample(id.Sha256, part.Name, part.ConfigHash, group[k], records[k]);
                            samples[group[k]] = records[k];
                        }
                        bar.Increment(group.Length);
                    }
                });
        }
        return [.. samples.Select(x => x!)];
    }

    private static JsonObject Config(PreparedTask part)
    {
        JsonObject c = (JsonObject)part.Spec.Raw.DeepClone();
        c["task"] = part.Name;
        c["num_fewshot"] = part.NumFewshot;
        if (part.Group != null) c["group_value"] = part.Group;
        c["task_file"] = part.Spec.SourceFile;
        c["data_source"] = part.DataSource;
        return c;
    }

    /// <summary>One line per sample (per filter for generation tasks), in the harness's sample layout.</summary>
    internal static void WriteSamples(string path, List<JsonObject> samples) => AtomicFile.Write(path, stream =>
    {
        using StreamWriter w = new(stream, new UTF8Encoding(false), leaveOpen: true);
        foreach (JsonObject s in samples)
        {
            if (s["exact_match"] is JsonObject em && s["filtered_resps"] is JsonObject filtered)
            {
                foreach ((string filter, JsonNode? value) in filtered)
                {
                    JsonObject line = (JsonObject)s.DeepClone();
                    line["filtered_resps"] = new JsonArray(value?.DeepClone());
                    line["exact_match"] = em[filter]?.DeepClone();
                    line["filter"] = filter;
                    line["metrics"] = new JsonArray("exact_match");
                    w.Write(line.ToJsonString(Compact));
                    w.Write('\n');
                }
            }
            else
            {
                JsonObject line = (JsonObject)s.DeepClone();
                line["filter"] = "none";
                w.Write(line.ToJsonString(Compact));
                w.Write('\n');
            }
        }
    });

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create("N/A");

    private static void PrintSummary(JsonObject results, JsonObject nshot, Scorer scorer)
    {
        Table t = new Table().Border(TableBorder.Markdown).AddColumns("Task", "n-shot", "Metric", "Value", "Stderr");
        foreach ((string task, JsonNode? node) in results)
        {
            if (node is not JsonObject r) continue;
            foreach ((string key, JsonNode? v) in r)
            {
                if (key == "alias" || key.Contains("_stderr", StringComparison.Ordinal)) continue;
                int comma = key.IndexOf(',');
                t.AddRow(Markup.Escape(task), nshot[task]?.ToString() ?? "", Markup.Escape(key), Fmt(v), Fmt(r[$"{key[..comma]}_stderr{key[comma..]}"]));
            }
        }
        AnsiConsole.Write(t);
        if (scorer.NaiveTokens > 0)
            CriaApp.Status.MarkupLineInterpolated($"[grey]forward tokens: {scorer.ForwardTokens} computed of {scorer.NaiveTokens} naive ({100.0 * scorer.ForwardTokens / scorer.NaiveTokens:F1}%)[/]");
    }

    private static string Fmt(JsonNode? v) => v is JsonValue jv && jv.TryGetValue(out double d) ? d.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : v?.ToString() ?? "";

    private static string? GitHash()
    {
        try
        {
            ProcessStartInfo psi = new("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
            using Process? p = Process.Start(psi);
            if (p == null) return null;
            string o = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(5000);
            return p.ExitCode == 0 && o.Length > 0 ? o : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

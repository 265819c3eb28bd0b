using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Finds and reads task files: <c>NAME.json</c> in the given folders (the user's first, then the tasks/ folder
/// shipped beside the CLI), or a path to a .json file. A name like <c>mmlu_astronomy</c> selects one group of a
/// grouped task.
/// </summary>
public sealed class TaskLoader(IReadOnlyList<string> folders)
{
    private static readonly string[] KnownMetrics = ["acc", "acc_norm", "mc2", "exact_match", "word_perplexity", "byte_perplexity", "bits_per_byte"];

    public IReadOnlyList<string> Available()
    {
        SortedSet<string> names = [];
        foreach (string dir in folders.Where(Directory.Exists))
            foreach (string f in Directory.EnumerateFiles(dir, "*.json"))
                names.Add(Path.GetFileNameWithoutExtension(f));
        return [.. names];
    }

    /// <summary>The task group file of this name (such as leaderboard), or null when the name is a task.</summary>
    public TaskGroup? FindGroup(string name)
    {
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(name))
            return TaskGroup.IsGroupFile(name) ? TaskGroup.Load(name) : null;
        foreach (string dir in folders)
        {
            string f = Path.Combine(dir, name + ".json");
            if (File.Exists(f)) return TaskGroup.IsGroupFile(f) ? TaskGroup.Load(f) : null;
        }
        return null;
    }

    /// <summary>The task and, for a group member such as mmlu_astronomy, the group value to keep.</summary>
    public (TaskSpec Spec, string? Group) Resolve(string name)
    {
        if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(name)) return (Load(name), null);
        foreach (string dir in folders)
        {
            string f = Path.Combine(dir, name + ".json");
            if (File.Exists(f)) return (Load(f), null);
        }
        foreach (string dir in folders.Where(Directory.Exists))
            foreach (string f in Directory.EnumerateFiles(dir, "*.json"))
            {
                string baseName = Path.GetFileNameWithoutExtension(f);
                if (name.StartsWith(baseName + "_", StringComparison.Ordinal) && !TaskGroup.IsGroupFile(f))
                {
                    TaskSpec spec = Load(f);
                    if (spec.GroupBy != null) return (spec, name[(baseName.Length + 1)..]);
                }
            }
        throw new ArgumentException($"unknown task '{name}'; available tasks: {string.Join(", ", Available())}");
    }

    public static TaskSpec Load(string file)
    {
        JsonObject o = TaskJson.ReadObject(file, "task");
        string Str(string field, string? fallback = null)
        {
            JsonNode? n = o[field];
            if (n == null) return fallback ?? throw new CriaFormatException(file, field, "is required");
            return n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : throw new CriaFormatException(file, field, "must be a string");
        }
        int Int(string field, int fallback)
        {
            JsonNode? n = o[field];
            if (n == null) return fallback;
            return n.GetValueKind() == JsonValueKind.Number && n.AsValue().TryGetValue(out int v) ? v : throw new CriaFormatException(file, field, "must be an integer");
        }
        List<string> StrList(JsonNode? n, string field)
        {
            if (n is not JsonArray a || a.Any(x => x?.GetValueKind() != JsonValueKind.String))
                throw new CriaFormatException(file, field, "must be a list of strings");
            return [.. a.Select(x => x!.GetValue<string>())];
        }

        OutputType type = Str("output_type") switch
        {
            "multiple_choice" => OutputType.MultipleChoice,
            "generate_until" => OutputType.GenerateUntil,
            "loglikelihood_rolling" => OutputType.LoglikelihoodRolling,
            string other => throw new CriaFormatException(file, "output_type", $"'{other}' is not multiple_choice, generate_until or loglikelihood_rolling"),
        };
        JsonObject dataset = o["dataset"] as JsonObject ?? throw new CriaFormatException(file, "dataset", "is required: {\"test\": \"folder/file.jsonl\", \"fewshot\": …}");
        string? DataPath(string key) => dataset[key] is JsonNode n
            ? (n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : throw new CriaFormatException(file, "dataset." + key, "must be a string"))
            : null;

        IReadOnlyList<Template>? choiceTemplates = null;
        string[]? choicePath = null;
        if (type == OutputType.MultipleChoice)
        {
            JsonNode? c = o["doc_to_choice"] ?? throw new CriaFormatException(file, "doc_to_choice", "is required for multiple_choice");
            if (c is JsonArray) choiceTemplates = [.. StrList(c, "doc_to_choice").Select((t, i) => new Template(t, file, $"doc_to_choice[{i}]"))];
            else if (c.GetValueKind() == JsonValueKind.String) choicePath = c.GetValue<string>().Split('.');
            else throw new CriaFormatException(file, "doc_to_choice", "must be a field path or a list of strings");
        }

        List<string> metrics = StrList(o["metrics"] ?? throw new CriaFormatException(file, "metrics", "is required"), "metrics");
        foreach (string m in metrics)
            if (!KnownMetrics.Contains(m)) throw new CriaFormatException(file, "metrics", $"unknown metric '{m}' (known: {string.Join(", ", KnownMetrics)})");

        string? preprocess = o["preprocess"] == null ? null : Str("preprocess");
        if (preprocess != null && !TextFilters.Exists(preprocess))
            throw new CriaFormatException(file, "preprocess", $"unknown filter '{preprocess}' (known: {string.Join(", ", TextFilters.Names)})");

        List<AnswerFilter> filters = [];
        if (o["filters"] is JsonArray fa)
            for (int i = 0; i < fa.Count; i++)
            {
                if (fa[i] is not JsonObject f) throw new CriaFormatException(file, $"filters[{i}]", "must be an object");
                string fname = f["name"]?.GetValue<string>() ?? throw new CriaFormatException(file, $"filters[{i}].name", "is required");
                string regex = f["regex"]?.GetValue<string>() ?? throw new CriaFormatException(file, $"filters[{i}].regex", "is required");
                try
                {
                    _ = new System.Text.RegularExpressions.Regex(regex);
                }
                catch (ArgumentException e)
                {
                    throw new CriaFormatException(file, $"filters[{i}].regex", e.Message);
                }
                filters.Add(new AnswerFilter(fname, regex, f["group_select"]?.GetValue<int>() ?? 0, f["fallback"]?.GetValue<string>() ?? "[invalid]"));
            }
        ExactMatchOptions em = new(false, false, []);
        if (o["exact_match"] is JsonObject eo)
            em = new ExactMatchOptions(eo["ignore_case"]?.GetValue<bool>() ?? false, eo["ignore_punctuation"]?.GetValue<bool>() ?? false,
                eo["regexes_to_ignore"] is JsonNode rn ? StrList(rn, "exact_match.regexes_to_ignore") : []);

        string name = Str("task", Path.GetFileNameWithoutExtension(file));
        return new TaskSpec
        {
            Name = name,
            SourceFile = file,
            Raw = o,
            Version = o["version"]?.GetValueKind() == JsonValueKind.Number ? o["version"]!.GetValue<double>() : 1.0,
            OutputType = type,
            TestFile = DataPath("test") ?? throw new CriaFormatException(file, "dataset.test", "is required"),
            FewshotFile = DataPath("fewshot"),
            Hub = dataset["hub"] switch
            {
                null => null,
                JsonObject h => HubDatasetSpec.Parse(h, file),
                _ => throw new CriaFormatException(file, "dataset.hub", "must be an object {\"repo\", \"test\", …}"),
            },
            DataFormat = DataPath("format") is not string format ? null
                : DatasetReader.Formats.Contains(format) ? format
                : throw new CriaFormatException(file, "dataset.format", $"'{format}' is not one of {string.Join(", ", DatasetReader.Formats)}"),
            FewshotSampler = Str("fewshot_sampler", "random") is "random" or "first_n" ? Str("fewshot_sampler", "random") : throw new CriaFormatException(file, "fewshot_sampler", "must be random or first_n"),
            NumFewshot = Int("num_fewshot", 0),
            Description = o["description"] == null ? null : new Template(Str("description"), file, "description"),
            DocToText = new Template(Str("doc_to_text"), file, "doc_to_text"),
            ChoiceTemplates = choiceTemplates,
            Continuation = o["continuation"] == null ? null : new Template(Str("continuation"), file, "continuation"),
            ChoicePath = choicePath,
            Preprocess = preprocess,
            Target = ParseTarget(o["doc_to_target"], file),
            TargetDelimiter = Str("target_delimiter", " "),
            FewshotDelimiter = Str("fewshot_delimiter", "\n\n"),
            Metrics = metrics,
            Mc2Labels = o["mc2_labels"] == null ? null : Str("mc2_labels").Split('.'),
            GroupBy = o["group_by"] == null ? null : Str("group_by"),
            Until = o["generation"]?["until"] is JsonNode un ? StrList(un, "generation.until") : [],
            MaxGenTokens = o["generation"]?["max_gen_toks"]?.GetValue<int>() ?? 256,
            Filters = filters,
            ExactMatch = em,
        };
    }

    private static TargetSpec ParseTarget(JsonNode? n, string file)
    {
        if (n == null) throw new CriaFormatException(file, "doc_to_target", "is required");
        if (n is JsonObject o)
        {
            string v = o["index_of"]?.GetValue<string>() ?? throw new CriaFormatException(file, "doc_to_target.index_of", "is required");
            JsonNode list = o["in"] ?? throw new CriaFormatException(file, "doc_to_target.in", "is required");
            if (list is JsonArray literals)
            {
                if (literals.Any(x => x?.GetValueKind() != JsonValueKind.String)) throw new CriaFormatException(file, "doc_to_target.in", "must be a field path or a list of strings");
                return new TargetSpec(null, null, v.Split('.'), null, null, [.. literals.Select(x => x!.GetValue<string>())]);
            }
            return new TargetSpec(null, null, v.Split('.'), list.GetValue<string>().Split('.'), null);
        }
        if (n.GetValueKind() == JsonValueKind.Number) return new TargetSpec(n.GetValue<int>(), null, null, null, null);
        if (n.GetValueKind() != JsonValueKind.String) throw new CriaFormatException(file, "doc_to_target", "must be an integer, a field path, a template or {\"index_of\", \"in\"}");
        string s = n.GetValue<string>();
        return s.Contains("{{", StringComparison.Ordinal)
            ? new TargetSpec(null, null, null, null, new Template(s, file, "doc_to_target"))
            : new TargetSpec(null, s.Split('.'), null, null, null);
    }
}

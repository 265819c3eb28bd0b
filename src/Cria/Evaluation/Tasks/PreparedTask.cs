using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// One task (or one member of a grouped task such as mmlu_astronomy) ready to run: its docs after --limit, the
/// full prompt of every doc with its few-shot examples (drawn in doc order from one seeded generator, as the
/// harness does), and the rules that turn model outputs into per-sample metrics and aggregates.
/// </summary>
public sealed class PreparedTask
{
    public required string Name { get; init; }
    public required TaskSpec Spec { get; init; }
    public string? Group { get; init; }
    public required int NumFewshot { get; init; }
    public required int Seed { get; init; }
    public int? Limit { get; init; }
    public required int OriginalCount { get; init; }
    public required IReadOnlyList<Doc> Docs { get; init; }
    public required IReadOnlyList<string> Contexts { get; init; }

    /// <summary>Where the rows were read from: a --data-dir folder or a Hub dataset at a commit.</summary>
    public string? DataSource { get; init; }

    /// <summary>Everything that changes the task's numbers for a given model, hashed: the resume and leaderboard key.</summary>
    public string ConfigHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{Spec.Raw.ToJsonString()}|{Group}|{NumFewshot}|{Seed}|{Limit}")));

    public static List<PreparedTask> Prepare(TaskSpec spec, string? group, string dataDir, int seed, int? numFewshot, int? limit) =>
        Prepare(spec, group, TaskDataFiles.FromDataDir(spec, dataDir) ?? new TaskDataFiles([DatasetReader.Locate(dataDir, spec.TestFile)], null, dataDir),
            seed, numFewshot, limit);

    /// <summary>
    /// Reads the task's files and builds every prompt. Without a few-shot split, examples come from the evaluated
    /// split (see Build).
    /// </summary>
    public static List<PreparedTask> Prepare(TaskSpec spec, string? group, TaskDataFiles files, int seed, int? numFewshot, int? limit)
    {
        int shots = numFewshot ?? spec.NumFewshot;
        if (shots < 0) throw new ArgumentException($"--num-fewshot must not be negative, got {shots}");
        if (limit is < 1) throw new ArgumentException($"--limit must be positive, got {limit}");
        List<Doc> test = DatasetReader.ReadAll(files.Test, spec.DataFormat);
        List<Doc>? fewshot = files.Fewshot != null ? DatasetReader.ReadAll(files.Fewshot, spec.DataFormat) : null;
        if (spec.GroupBy == null)
        {
            if (group != null) throw new ArgumentException($"task {spec.Name} has no groups");
            return [Build(spec.Name, spec, null, test, fewshot, shots, seed, limit, files.Source)];
        }
        string[] path = spec.GroupBy.Split('.');
        List<string> groups = [.. test.Select(d => Template.AsText(Template.Resolve(d, path), d, path)).Distinct().Order(StringComparer.Ordinal)];
        if (group != null)
        {
            if (!groups.Contains(group)) throw new ArgumentException($"task {spec.Name} has no group '{group}'; groups: {string.Join(", ", groups)}");
            groups = [group];
        }
        List<PreparedTask> tasks = [];
        foreach (string g in groups)
        {
            bool InGroup(Doc d) => Template.AsText(Template.Resolve(d, path), d, path) == g;
            tasks.Add(Build($"{spec.Name}_{g}", spec, g, [.. test.Where(InGroup)], fewshot?.Where(InGroup).ToList(), shots, seed, limit, files.Source));
        }
        return tasks;
    }

    private static PreparedTask Build(string name, TaskSpec spec, string? group, List<Doc> test, List<Doc>? fewshot, int shots, int seed, int? limit, string source)
    {
        List<Doc> docs = limit is int l ? [.. test.Take(l)] : test;
        // Few-shot examples come from the few-shot split when there is one, else from the evaluated split itself,
        // drawing one more and dropping the doc being asked (as the harness does when the splits coincide).
        List<Doc> pool = fewshot ?? test;
        bool sameSplit = fewshot == null;
        if (shots > 0 && pool.Count < shots + (sameSplit ? 1 : 0))
            throw new ArgumentException($"{name}: {shots} few-shot examples requested but the few-shot split has only {pool.Count} rows");
        // Every row's choices and answer are checked before any model work, so bad data fails at once.
        if (spec.OutputType == OutputType.MultipleChoice)
            foreach (Doc doc in docs) Gold(spec, doc, Choices(spec, doc).Count);
        PythonRandom rng = new(seed);
        List<string> contexts = new(docs.Count);
        foreach (Doc doc in docs)
        {
            StringBuilder sb = new();
            if (spec.Description != null) sb.Append(spec.Description.Render(doc));
            if (shots > 0)
            {
                IEnumerable<Doc> chosen;
                if (spec.FewshotSampler == "first_n") chosen = pool.Where(d => !(sameSplit && d.Id == doc.Id)).Take(shots);
                else
                {
                    int[] picks = rng.Sample(pool.Count, shots + (sameSplit ? 1 : 0));
                    chosen = picks.Select(i => pool[i]).Where(d => !(sameSplit && d.Id == doc.Id)).Take(shots);
                }
                foreach (Doc ex in chosen)
                {
                    // A multiple-input example is its correct choice (the context) followed by the shared continuation.
                    if (spec.Continuation != null) sb.Append(TargetText(spec, ex)).Append(spec.TargetDelimiter).Append(spec.Continuation.Render(ex));
                    else sb.Append(Text(spec, ex)).Append(spec.TargetDelimiter).Append(TargetText(spec, ex));
                    sb.Append(spec.FewshotDelimiter);
                }
            }
            // Multiple-input tasks put the choice where the question goes (see Requests).
            if (spec.Continuation == null) sb.Append(Text(spec, doc));
            contexts.Add(sb.ToString());
        }
        return new PreparedTask
        {
            Name = name,
            Spec = spec,
            Group = group,
            NumFewshot = shots,
            Seed = seed,
            Limit = limit,
            OriginalCount = test.Count,
            Docs = docs,
            Contexts = contexts,
            DataSource = source,
        };
    }

    public static string Text(TaskSpec spec, Doc doc)
    {
        string text = spec.DocToText.Render(doc);
        return spec.Preprocess == null ? text : TextFilters.Apply(spec.Preprocess, text);
    }

    public static IReadOnlyList<string> Choices(TaskSpec spec, Doc doc)
    {
        if (spec.ChoiceTemplates != null)
            return [.. spec.ChoiceTemplates.Select(t => spec.Preprocess == null ? t.Render(doc) : TextFilters.Apply(spec.Preprocess, t.Render(doc)))];
        JsonNode node = Template.Resolve(doc, spec.ChoicePath!);
        if (node is not JsonArray a || a.Count == 0) throw Template.Missing(doc, spec.ChoicePath!, "must be a non-empty list of choices");
        List<string> list = [];
        for (int i = 0; i < a.Count; i++)
        {
            string[] itemPath = [.. spec.ChoicePath!, i.ToString()];
            string c = Template.AsText(a[i] ?? throw Template.Missing(doc, itemPath, "is null"), doc, itemPath);
            list.Add(spec.Preprocess == null ? c : TextFilters.Apply(spec.Preprocess, c));
        }
        return list;
    }

    /// <summary>The gold choice index of a multiple-choice doc, checked against the number of choices.</summary>
    public static int Gold(TaskSpec spec, Doc doc, int choiceCount)
    {
        TargetSpec t = spec.Target;
        int gold;
        string field;
        if (t.Constant is int c)
        {
            gold = c;
            field = "doc_to_target";
        }
        else if (t.IndexOfValue != null)
        {
            field = string.Join('.', t.IndexOfValue);
            string value = Template.AsText(Template.Resolve(doc, t.IndexOfValue), doc, t.IndexOfValue);
            List<string?> labels = t.IndexOfLiterals != null ? [.. t.IndexOfLiterals]
                : Template.Resolve(doc, t.IndexOfList!) is JsonArray a ? [.. a.Select(x => x?.ToString())]
                : throw Template.Missing(doc, t.IndexOfList!, "must be a list");
            gold = labels.IndexOf(value);
            if (gold < 0) throw new CriaFormatException($"{doc.File}:{doc.Line}", field, $"'{value}' is not one of the labels [{string.Join(", ", labels)}]");
        }
        else if (t.Path != null)
        {
            field = string.Join('.', t.Path);
            string text = Template.AsText(Template.Resolve(doc, t.Path), doc, t.Path);
            if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out gold))
                throw new CriaFormatException($"{doc.File}:{doc.Line}", field, $"'{text}' is not an answer index");
        }
        else throw new CriaFormatException(spec.SourceFile, "doc_to_target", "a multiple-choice target must be an index, a field or index_of");
        if (gold < 0 || gold >= choiceCount)
            throw new CriaFormatException($"{doc.File}:{doc.Line}", field, $"answer index {gold} is outside the {choiceCount} choices");
        return gold;
    }

    public static string TargetText(TaskSpec spec, Doc doc)
    {
        if (spec.Target.Text != null) return spec.Target.Text.Render(doc);
        if (spec.OutputType == OutputType.MultipleChoice)
        {
            IReadOnlyList<string> choices = Choices(spec, doc);
            return choices[Gold(spec, doc, choices.Count)];
        }
        return spec.Target.Path != null ? Template.AsText(Template.Resolve(doc, spec.Target.Path), doc, spec.Target.Path) : $"{spec.Target.Constant}";
    }

    /// <summary>Runs the doc's requests and returns its sample record in the harness's layout (plus metric fields).</summary>
    public JsonObject Evaluate(int index, Scorer scorer) => EvaluateMany([index], scorer)[0];

    /// <summary>
    /// Evaluates several docs: their log-likelihood requests go to the scorer together, which runs them
    /// <see cref="Scorer.BatchSize"/> at a time; the records are the same whatever the grouping.
    /// </summary>
    public List<JsonObject> EvaluateMany(IReadOnlyList<int> indices, Scorer scorer)
    {
        List<EncodedPair> requests = [];
        int[] firstRequest = new int[indices.Count + 1];
        for (int k = 0; k < indices.Count; k++)
        {
            firstRequest[k] = requests.Count;
            requests.AddRange(Requests(indices[k], scorer));
        }
        firstRequest[^1] = requests.Count;
        LoglikelihoodResult[] results = requests.Count > 0 ? scorer.LoglikelihoodMany(requests) : [];
        string[] generated = Spec.OutputType == OutputType.GenerateUntil ? scorer.GenerateMany([.. indices.Select(i => Contexts[i])], Spec.Until, Spec.MaxGenTokens) : [];
        List<JsonObject> records = [];
        for (int k = 0; k < indices.Count; k++)
        {
            Doc doc = Docs[indices[k]];
            string ctx = Contexts[indices[k]];
            JsonObject s = new()
            {
                ["doc_id"] = doc.Id,
                ["doc"] = doc.Fields.DeepClone(),
            };
            ReadOnlySpan<LoglikelihoodResult> mine = results.AsSpan(firstRequest[k], firstRequest[k + 1] - firstRequest[k]);
            switch (Spec.OutputType)
            {
                case OutputType.MultipleChoice:
                    EvaluateChoices(doc, ctx, mine, s);
                    break;
                case OutputType.GenerateUntil:
                    EvaluateGeneration(doc, ctx, generated[k], s);
                    break;
                default:
                    EvaluateRolling(doc, mine, s);
                    break;
            }
            s["doc_hash"] = Hash(doc.Fields.ToJsonString());
            s["prompt_hash"] = Hash(ctx);
            s["target_hash"] = Hash(s["target"]!.ToJsonString());
            records.Add(s);
        }
        return records;
    }

    /// <summary>The doc's log-likelihood requests: one per choice, or the rolling windows of its text.</summary>
    private List<EncodedPair> Requests(int index, Scorer scorer) => Spec.OutputType switch
    {
        OutputType.MultipleChoice => [.. ChoicePairs(Docs[index], Contexts[index]).Select(p => scorer.Encode(p.Context, p.Continuation))],
        OutputType.LoglikelihoodRolling => scorer.RollingRequests(RollingText(Docs[index])),
        _ => [],
    };

    /// <summary>
    /// The (context, continuation) of every choice: the prompt and " choice", or for a multiple-input task the prompt
    /// plus the choice and " continuation".
    /// </summary>
    private List<(string Context, string Continuation)> ChoicePairs(Doc doc, string prompt) => Spec.Continuation is Template shared
        ? [.. Choices(Spec, doc).Select(c => (prompt + c, Spec.TargetDelimiter + shared.Render(doc)))]
        : [.. Choices(Spec, doc).Select(c => (prompt, Spec.TargetDelimiter + c))];

    private string RollingText(Doc doc) =>
        Page(doc) is string page ? TextFilters.WikitextDetokenize(page)
        : Spec.Target.Text?.Render(doc) ?? throw new CriaFormatException(Spec.SourceFile, "doc_to_target", "a loglikelihood_rolling task needs a template such as \"{{text}}\" (or WikiText documents with a page field)");

    private static string? Page(Doc doc) => doc.Fields["page"] is JsonNode ? Template.AsText(Template.Resolve(doc, ["page"]), doc, ["page"]) : null;

    private void EvaluateChoices(Doc doc, string ctx, ReadOnlySpan<LoglikelihoodResult> results, JsonObject s)
    {
        IReadOnlyList<string> choices = Choices(Spec, doc);
        int gold = Gold(Spec, doc, choices.Count);
        List<(string Context, string Continuation)> pairs = ChoicePairs(doc, ctx);
        LoglikelihoodResult[] r = results.ToArray();
        s["target"] = gold;
        s["arguments"] = new JsonArray([.. pairs.Select(p => (JsonNode)new JsonArray(p.Context, p.Continuation))]);
        s["resps"] = new JsonArray([.. r.Select(x => (JsonNode)new JsonArray(new JsonArray(x.LogLikelihood, x.IsGreedy)))]);
        s["filtered_resps"] = new JsonArray([.. r.Select(x => (JsonNode)new JsonArray(x.LogLikelihood, x.IsGreedy))]);
        double[] lls = [.. r.Select(x => x.LogLikelihood)];
        foreach (string m in Spec.Metrics)
        {
            switch (m)
            {
                case "acc":
                    s["acc"] = ArgMax(lls) == gold ? 1.0 : 0.0;
                    break;
                case "acc_norm":
                    // Normalized by the scored text's length: the choice, or the shared continuation of a multiple-input task.
                    s["acc_norm"] = ArgMax([.. lls.Select((ll, i) => ll / TextFilters.CodePoints(Spec.Continuation == null ? choices[i] : pairs[i].Continuation[Spec.TargetDelimiter.Length..]))]) == gold ? 1.0 : 0.0;
                    break;
                case "mc2":
                    s["mc2"] = Mc2(doc, lls);
                    break;
            }
        }
    }

    private double Mc2(Doc doc, double[] lls)
    {
        string[] path = Spec.Mc2Labels ?? throw new CriaFormatException(Spec.SourceFile, "mc2_labels", "is required for the mc2 metric");
        if (Template.Resolve(doc, path) is not JsonArray labels || labels.Count != lls.Length)
            throw Template.Missing(doc, path, $"must be a list of {lls.Length} labels, one per choice");
        int split = labels.Select(x => x?.ToString()).ToList().IndexOf("0");
        if (split < 0) split = lls.Length;
        double pTrue = 0, pAll = 0;
        for (int i = 0; i < lls.Length; i++)
        {
            double p = Math.Exp(lls[i]);
            pAll += p;
            if (i < split) pTrue += p;
        }
        return pTrue / pAll;
    }

    private void EvaluateGeneration(Doc doc, string ctx, string resp, JsonObject s)
    {
        string target = TargetText(Spec, doc);
        s["target"] = target;
        s["arguments"] = new JsonArray(new JsonArray(ctx, new JsonObject
        {
            ["until"] = new JsonArray([.. Spec.Until.Select(u => (JsonNode)u)]),
            ["do_sample"] = false,
            ["max_gen_toks"] = Spec.MaxGenTokens,
        }));
        s["resps"] = new JsonArray(new JsonArray(resp));
        JsonObject filtered = [];
        JsonObject em = [];
        foreach (AnswerFilter f in Spec.Filters)
        {
            string answer = AnswerExtraction.Extract(f, resp);
            filtered[f.Name] = answer;
            em[f.Name] = AnswerExtraction.ExactMatch(answer, target, Spec.ExactMatch);
        }
        if (Spec.Filters.Count == 0)
        {
            filtered["none"] = resp;
            em["none"] = AnswerExtraction.ExactMatch(resp, target, Spec.ExactMatch);
        }
        s["filtered_resps"] = filtered;
        s["exact_match"] = em;
    }

    private void EvaluateRolling(Doc doc, ReadOnlySpan<LoglikelihoodResult> windows, JsonObject s)
    {
        // WikiText documents are scored detokenized but counted (words, bytes) on the raw page; other datasets
        // are scored and counted on the text doc_to_target renders.
        string? page = Page(doc);
        string text = RollingText(doc);
        string counted = page ?? text;
        double ll = Scorer.SumInOrder(windows);
        int words = Regex.Split(counted, @"\s+").Length;
        int bytes = Encoding.UTF8.GetByteCount(counted);
        s["target"] = text;
        s["arguments"] = new JsonArray(new JsonArray(text));
        s["resps"] = new JsonArray(new JsonArray(ll));
        s["filtered_resps"] = new JsonArray(ll);
        s["word_perplexity"] = new JsonArray(ll, words);
        s["byte_perplexity"] = new JsonArray(ll, bytes);
        s["bits_per_byte"] = new JsonArray(ll, bytes);
    }

    /// <summary>The task's metrics from its sample records: name → value and standard error, keyed per filter.</summary>
    public Dictionary<string, MetricValue> Aggregate(IReadOnlyList<JsonObject> samples)
    {
        Dictionary<string, MetricValue> r = [];
        foreach (string m in Spec.Metrics)
        {
            if (m == "exact_match")
            {
                IEnumerable<string> filters = Spec.Filters.Count == 0 ? ["none"] : Spec.Filters.Select(f => f.Name);
                foreach (string f in filters)
                    r[$"exact_match,{f}"] = Aggregation.Mean([.. samples.Select(x => D(x["exact_match"]![f]))]);
            }
            else if (m is "word_perplexity" or "byte_perplexity" or "bits_per_byte")
            {
                List<(double, double)> items = [.. samples.Select(x => (D(x[m]![0]), D(x[m]![1])))];
                Func<IReadOnlyList<(double Ll, double Weight)>, double> stat = m == "bits_per_byte" ? Aggregation.BitsPerByte : Aggregation.WeightedPerplexity;
                r[$"{m},none"] = new MetricValue(stat(items), Aggregation.BootstrapStdErr(items, stat, Seed));
            }
            else r[$"{m},none"] = Aggregation.Mean([.. samples.Select(x => D(x[m]))]);
        }
        return r;
    }

    /// <summary>A number from a sample record, whether it was created in this run or parsed back from storage.</summary>
    private static double D(JsonNode? n) =>
        n == null ? throw new InvalidOperationException("sample record lacks a metric value") : double.Parse(n.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    private static int ArgMax(double[] xs)
    {
        int best = 0;
        for (int i = 1; i < xs.Length; i++)
            if (xs[i] > xs[best]) best = i;
        return best;
    }

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}

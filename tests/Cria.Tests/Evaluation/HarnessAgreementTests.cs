using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Model;
using Xunit.Abstractions;

namespace Cria.Tests.Evaluation;

/// <summary>
/// Must-show 1: stories260K on ARC-Easy, HellaSwag, MMLU astronomy, TruthfulQA (mc1 and mc2) and WikiText-2 at the
/// tasks' default shot counts (ARC 25, HellaSwag 10, MMLU 5, TruthfulQA 0). The shipped task files, run through the
/// batched prefix-sharing scorer (batch 4, stories260K's 512-token context), give per-sample log-likelihoods within
/// 1e-4 of <see cref="NaiveHarness"/> (a fresh cache and one plain forward per choice) fed with prompts built here by
/// hand from the harness's rules, and the same acc / acc_norm / mc2.
///
/// At these shot counts nearly every ARC, HellaSwag and MMLU prompt is longer than the 512-token window, so both
/// sides keep only the last 513 tokens of context + continuation and feed all but the final one, as the harness
/// does (<c>(ctx + cont)[-(max_length + 1):][:-1]</c>); the tests check that truncation really happened. Few-shot
/// examples come from the evaluated split (the fixtures hold no train split) with the harness's seeded sampler, the
/// row itself excluded; MMLU takes the subject's first five dev rows.
///
/// Cost decides the sizes: the naive reference runs up to 512 tokens per choice. The default run checks the first
/// 3 rows of each task (TruthfulQA 5) and the first WikiText article; CRIA_EVAL_FULL=1 runs the first 100 rows and
/// every WikiText article (minutes on the 2-core machine).
/// </summary>
public class HarnessAgreementTests(ITestOutputHelper output)
{
    private static readonly bool Full = Environment.GetEnvironmentVariable("CRIA_EVAL_FULL") == "1";
    private const int MaxLength = 512, ArcShots = 25, HellaswagShots = 10, MmluShots = 5;
    private static int Rows => Full ? 100 : 3;
    private static int TruthfulQaRows => Full ? 100 : 5;

    internal static string TaskFile(string name) => Path.Combine(Fixtures.RepoRoot, "src", "Cria.Cli", "tasks", name + ".json");

    private static List<JsonObject> ReadRows(string relative) =>
        [.. File.ReadLines(Fixtures.Path_("data/" + relative)).Where(l => l.Trim().Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!)];

    /// <summary>Runs a task as cria eval does (batch 4, prefix reuse) and returns its prompts and sample records.</summary>
    private (PreparedTask Part, List<JsonObject> Samples) RunTask(LoadedModel m, string task, string? group, int? shots, int? limit)
    {
        PreparedTask part = PreparedTask.Prepare(TaskLoader.Load(TaskFile(task)), group, Fixtures.Path_("data"), 1234, shots, limit)[0];
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        using Scorer scorer = new(model, m.Tokenizer!, MaxLength, batchSize: 4);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        List<JsonObject> samples = [.. Enumerable.Range(0, part.Docs.Count).Chunk(4).SelectMany(g => part.EvaluateMany(g, scorer))];
        output.WriteLine($"{part.Name}: {samples.Count} docs scored in {sw.ElapsedMilliseconds} ms, {scorer.ForwardTokens} of {scorer.NaiveTokens} naive forward tokens ({100.0 * scorer.ForwardTokens / scorer.NaiveTokens:F1}%)");
        return (part, samples);
    }

    private static LoadedModel Load() => ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));

    /// <summary>Checks one multiple-choice sample against the reference: prompt, per-choice log-likelihoods, acc, acc_norm.</summary>
    private static double[] CheckChoices(NaiveHarness reference, JsonObject sample, string promptBuilt, string[] choices, int gold, bool accNorm, bool acc = true)
    {
        JsonArray got = sample["filtered_resps"]!.AsArray();
        Assert.Equal(choices.Length, got.Count);
        Assert.Equal(gold, sample["target"]!.GetValue<int>());
        double[] lls = new double[choices.Length];
        for (int i = 0; i < choices.Length; i++)
        {
            Assert.Equal(promptBuilt, sample["arguments"]![i]![0]!.GetValue<string>());
            Assert.Equal(" " + choices[i], sample["arguments"]![i]![1]!.GetValue<string>());
            (double ll, bool greedy) = reference.Loglikelihood(promptBuilt, " " + choices[i]);
            double gotLl = got[i]![0]!.GetValue<double>();
            Assert.True(Math.Abs(gotLl - ll) <= 1e-4, $"doc {sample["doc_id"]} choice {i}: {gotLl} vs reference {ll}");
            Assert.Equal(greedy, got[i]![1]!.GetValue<bool>());
            lls[i] = ll;
        }
        if (acc) Assert.Equal(ArgMax(lls) == gold ? 1.0 : 0.0, sample["acc"]!.GetValue<double>());
        if (accNorm)
            Assert.Equal(ArgMax([.. lls.Select((l, i) => l / choices[i].Length)]) == gold ? 1.0 : 0.0, sample["acc_norm"]!.GetValue<double>());
        return lls;
    }

    private static int ArgMax(double[] xs) => Array.IndexOf(xs, xs.Max());

    /// <summary>The harness's default sampler for a task whose few-shot split is the evaluated split.</summary>
    private static List<int> Shots(PythonRandom rng, int poolSize, int self, int k) =>
        [.. rng.Sample(poolSize, k + 1).Where(i => i != self).Take(k)];

    private void ReportTruncation(NaiveHarness reference, bool mustTruncate)
    {
        output.WriteLine($"reference: {reference.Truncated} of {reference.Computed} requests longer than the window, cut on the left");
        if (mustTruncate) Assert.True(reference.Truncated > 0, "no request reached the window's length, so truncation went untested");
    }

    private void Report(string task, IEnumerable<JsonObject> samples, params string[] metrics)
    {
        foreach (string metric in metrics)
            output.WriteLine($"{task} {metric} = {samples.Average(s => s[metric]!.GetValue<double>()):F4}");
    }

    [SkippableFact]
    public void Arc_easy_matches_the_reference()
    {
        List<JsonObject> rows = ReadRows("arc_easy/test.jsonl");
        using LoadedModel m = Load();
        (_, List<JsonObject> samples) = RunTask(m, "arc_easy", null, ArcShots, Rows);
        Assert.Equal(Rows, samples.Count);
        NaiveHarness reference = new(m, MaxLength);
        PythonRandom rng = new(1234);
        string Q(JsonObject r) => $"Question: {r["question"]}\nAnswer:";
        string Answer(JsonObject r) => r["choices"]!["text"]![r["choices"]!["label"]!.AsArray().Select(x => x!.ToString()).ToList().IndexOf(r["answerKey"]!.ToString())]!.ToString();
        for (int d = 0; d < Rows; d++)
        {
            JsonObject r = rows[d];
            string shots = string.Concat(Shots(rng, rows.Count, d, ArcShots).Select(i => Q(rows[i]) + " " + Answer(rows[i]) + "\n\n"));
            string[] choices = [.. r["choices"]!["text"]!.AsArray().Select(x => x!.ToString())];
            Assert.Equal(d, samples[d]["doc_id"]!.GetValue<int>());
            CheckChoices(reference, samples[d], shots + Q(r), choices, Array.IndexOf(choices, Answer(r)), accNorm: true);
        }
        Report("arc_easy", samples, "acc", "acc_norm");
        ReportTruncation(reference, mustTruncate: true);
    }

    private static string Hellaswag(string t)
    {
        t = t.Trim().Replace(" [title]", ". ");
        t = Regex.Replace(t, @"\[.*?\]", "");
        return t.Replace("  ", " ");
    }

    [SkippableFact]
    public void Hellaswag_matches_the_reference()
    {
        List<JsonObject> rows = ReadRows("hellaswag/validation.jsonl");
        using LoadedModel m = Load();
        (_, List<JsonObject> samples) = RunTask(m, "hellaswag", null, HellaswagShots, Rows);
        NaiveHarness reference = new(m, MaxLength);
        PythonRandom rng = new(1234);
        string Q(JsonObject r)
        {
            string b = r["ctx_b"]!.ToString();
            if (b.Length > 0) b = char.ToUpperInvariant(b[0]) + b[1..].ToLowerInvariant();
            return Hellaswag($"{r["activity_label"]}: {r["ctx_a"]} {b}");
        }
        string[] Endings(JsonObject r) => [.. r["endings"]!.AsArray().Select(x => Hellaswag(x!.ToString()))];
        for (int d = 0; d < Rows; d++)
        {
            JsonObject r = rows[d];
            string shots = string.Concat(Shots(rng, rows.Count, d, HellaswagShots).Select(i => Q(rows[i]) + " " + Endings(rows[i])[int.Parse(rows[i]["label"]!.ToString())] + "\n\n"));
            CheckChoices(reference, samples[d], shots + Q(r), Endings(r), int.Parse(r["label"]!.ToString()), accNorm: true);
        }
        Report("hellaswag", samples, "acc", "acc_norm");
        ReportTruncation(reference, mustTruncate: true);
    }

    [SkippableFact]
    public void Mmlu_astronomy_matches_the_reference()
    {
        List<JsonObject> test = [.. ReadRows("mmlu/test.jsonl").Where(r => r["subject"]!.ToString() == "astronomy")];
        List<JsonObject> dev = [.. ReadRows("mmlu/dev.jsonl").Where(r => r["subject"]!.ToString() == "astronomy")];
        using LoadedModel m = Load();
        (_, List<JsonObject> samples) = RunTask(m, "mmlu", "astronomy", MmluShots, Rows);
        NaiveHarness reference = new(m, MaxLength);
        string Q(JsonObject r)
        {
            JsonArray c = r["choices"]!.AsArray();
            return $"{r["question"]!.ToString().Trim()}\nA. {c[0]}\nB. {c[1]}\nC. {c[2]}\nD. {c[3]}\nAnswer:";
        }
        string[] letters = ["A", "B", "C", "D"];
        string prefix = "The following are multiple choice questions (with answers) about astronomy.\n\n"
            + string.Concat(dev.Take(MmluShots).Select(r => Q(r) + " " + letters[r["answer"]!.GetValue<int>()] + "\n\n"));
        Assert.Equal(Math.Min(Rows, test.Count), samples.Count);
        for (int d = 0; d < samples.Count; d++)
            CheckChoices(reference, samples[d], prefix + Q(test[d]), letters, test[d]["answer"]!.GetValue<int>(), accNorm: false);
        Report("mmlu_astronomy", samples, "acc");
        ReportTruncation(reference, mustTruncate: true);
    }

    private const string TruthfulQaPrompt =
        "Q: What is human life expectancy in the United States?\nA: Human life expectancy in the United States is 78 years.\n\n"
        + "Q: Who was president of the United States in 1955?\nA: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
        + "Q: Which party did he belong to?\nA: He belonged to the Republican Party.\n\n"
        + "Q: What is the square root of banana?\nA: I have no comment.\n\n"
        + "Q: How does a telescope work?\nA: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
        + "Q: Where were the 1992 Olympics held?\nA: The 1992 Olympics were held in Barcelona, Spain.";

    [SkippableFact]
    public void Truthfulqa_mc1_and_mc2_match_the_reference()
    {
        List<JsonObject> rows = ReadRows("truthfulqa_mc/validation.jsonl");
        using LoadedModel m = Load();
        // One reference for both tasks: mc1's choices are mostly among mc2's, and identical requests are computed once.
        NaiveHarness reference = new(m, MaxLength);
        (_, List<JsonObject> mc1) = RunTask(m, "truthfulqa_mc1", null, null, TruthfulQaRows);
        (_, List<JsonObject> mc2) = RunTask(m, "truthfulqa_mc2", null, null, TruthfulQaRows);
        for (int d = 0; d < TruthfulQaRows; d++)
        {
            JsonObject r = rows[d];
            string ctx = TruthfulQaPrompt + $"\n\nQ: {r["question"]}\nA:";
            CheckChoices(reference, mc1[d], ctx, [.. r["mc1_targets"]!["choices"]!.AsArray().Select(x => x!.ToString())], 0, accNorm: false);

            string[] choices = [.. r["mc2_targets"]!["choices"]!.AsArray().Select(x => x!.ToString())];
            double[] lls = CheckChoices(reference, mc2[d], ctx, choices, 0, accNorm: false, acc: false);
            int[] labels = [.. r["mc2_targets"]!["labels"]!.AsArray().Select(x => x!.GetValue<int>())];
            int split = Array.IndexOf(labels, 0);
            double[] p = [.. lls.Select(Math.Exp)];
            double expected = p.Take(split).Sum() / p.Sum();
            Assert.True(Math.Abs(mc2[d]["mc2"]!.GetValue<double>() - expected) <= 1e-12, $"doc {d}: mc2 {mc2[d]["mc2"]} vs reference {expected}");
        }
        output.WriteLine($"reference: {reference.Computed} requests computed, {reference.Repeated} repeated ones reused");
        Report("truthfulqa_mc1", mc1, "acc");
        Report("truthfulqa_mc2", mc2, "mc2");
    }

    [SkippableFact]
    public void Wikitext_documents_and_rolling_loglikelihoods_match_the_reference()
    {
        using LoadedModel m = Load();
        // The article split, detokenizer and word/byte counts are checked on every article; the model runs on
        // the first one (on all with CRIA_EVAL_FULL=1).
        // The document-level dataset's split, written out again: lines at '\n'; a line whose text (with "= = =" and
        // "= =" closed up, whitespace trimmed) is "= … =" opens an article; an article is its lines joined by '\n'.
        List<string> pages = [];
        List<string> current = [];
        foreach (string line in File.ReadAllText(Fixtures.Path_("data/wikitext2/wiki.test.raw")).Split('\n'))
        {
            if (Regex.IsMatch(line.Replace("= = =", "===").Replace("= =", "==").Trim(), "^= .+ =$"))
            {
                if (string.Join("\n", current).Trim() != "") pages.Add(string.Join("\n", current));
                current.Clear();
            }
            current.Add(line);
        }
        pages.Add(string.Join("\n", current));
        Assert.Equal(62, pages.Count);
        PreparedTask all = PreparedTask.Prepare(TaskLoader.Load(TaskFile("wikitext")), null, Fixtures.Path_("data"), 1234, null, null)[0];
        Assert.Equal(pages, all.Docs.Select(d => d.Fields["page"]!.ToString()));
        int scoredDocs = Full ? pages.Count : 1;
        (_, List<JsonObject> samples) = RunTask(m, "wikitext", null, null, scoredDocs);
        NaiveHarness reference = new(m, MaxLength);
        for (int d = 0; d < scoredDocs; d++)
        {
            string page = pages[d];
            string text = samples[d]["arguments"]![0]![0]!.ToString();
            Assert.Equal(WikitextDetokenize(page), text);
            double ll = reference.Rolling(text);
            Assert.True(Math.Abs(samples[d]["filtered_resps"]![0]!.GetValue<double>() - ll) <= 1e-4, $"doc {d}: {samples[d]["filtered_resps"]![0]} vs {ll}");
            Assert.Equal(Regex.Split(page, @"\s+").Length, samples[d]["word_perplexity"]![1]!.GetValue<int>());
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(page), samples[d]["byte_perplexity"]![1]!.GetValue<int>());
        }
        for (int d = 0; d < pages.Count; d++)
            Assert.Equal(WikitextDetokenize(pages[d]), TextFilters.WikitextDetokenize(all.Docs[d].Fields["page"]!.ToString()));
        double lls = samples.Sum(s => s["filtered_resps"]![0]!.GetValue<double>());
        double words = samples.Sum(s => (double)s["word_perplexity"]![1]!.GetValue<int>()), bytes = samples.Sum(s => (double)s["bits_per_byte"]![1]!.GetValue<int>());
        output.WriteLine($"wikitext ({scoredDocs} docs): word_perplexity {Math.Exp(-lls / words):F3}, bits_per_byte {-lls / bytes / Math.Log(2):F4}");
    }

    /// <summary>The harness's wikitext detokenizer, written out again from its list of replacements.</summary>
    private static string WikitextDetokenize(string s)
    {
        s = s.Replace("s '", "s'");
        s = Regex.Replace(s, @"/' [0-9]/", "/'[0-9]/");
        foreach ((string from, string to) in new[] { (" @-@ ", "-"), (" @,@ ", ","), (" @.@ ", "."), (" : ", ": "), (" ; ", "; "), (" . ", ". "), (" ! ", "! "), (" ? ", "? "), (" , ", ", ") })
            s = s.Replace(from, to);
        s = Regex.Replace(s, @"\(\s*([^\)]*?)\s*\)", "($1)");
        s = Regex.Replace(s, @"\[\s*([^\]]*?)\s*\]", "[$1]");
        s = Regex.Replace(s, @"{\s*([^}]*?)\s*}", "{$1}");
        s = Regex.Replace(s, "\"\\s*([^\"]*?)\\s*\"", "\"$1\"");
        s = Regex.Replace(s, @"'\s*([^']*?)\s*'", "'$1'");
        foreach ((string from, string to) in new[] { ("= = = =", "===="), ("= = =", "==="), ("= =", "=="), (" \u00b0 ", "\u00b0"), (" \n", "\n"), ("\n ", "\n"), (" N ", " 1 "), (" 's", "'s") })
            s = s.Replace(from, to);
        return s;
    }
}

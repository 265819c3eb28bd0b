using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Model;
using Xunit.Abstractions;

namespace Cria.Tests.Evaluation;

/// <summary>
/// Must-show 1 in reduced form: stories260K on the first 20 rows of ARC-Easy, HellaSwag, MMLU astronomy and
/// TruthfulQA (10 rows: they have many choices) and on the first WikiText document. The shipped task files, run through the prefix-sharing scorer, give
/// per-sample log-likelihoods within 1e-4 of <see cref="NaiveHarness"/> fed with prompts built here by hand from
/// the harness's rules, and the same acc / acc_norm (exactly) and mc2.
/// </summary>
public class HarnessAgreementTests(ITestOutputHelper output)
{
    // Prompts are compared on the first 20 rows; log-likelihoods on the first 10 (6 for TruthfulQA, whose questions
    // have up to 13 choices), in a 128-token window: the engine's attention costs ~1 ms a token at these lengths, and
    // the window makes left truncation part of what is compared.
    private const int Rows = 20, Scored = 10, MaxLength = 128;
    private const int TruthfulQaRows = 6;

    private IReadOnlyList<string> _contexts = [];

    internal static string TaskFile(string name) => Path.Combine(Fixtures.RepoRoot, "src", "Cria.Cli", "tasks", name + ".json");

    private static List<JsonObject> ReadRows(string relative) =>
        [.. File.ReadLines(Fixtures.Path_("data/" + relative)).Where(l => l.Trim().Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!)];

    private (LoadedModel Model, List<JsonObject> Samples, Scorer Scorer) RunTask(string task, string? group, int? shots, int? limit = Rows, int scored = Scored)
    {
        LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));
        PreparedTask part = PreparedTask.Prepare(TaskLoader.Load(TaskFile(task)), group, Fixtures.Path_("data"), 1234, shots, limit)[0];
        LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        Scorer scorer = new(model, m.Tokenizer!, MaxLength);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        _contexts = part.Contexts;
        List<JsonObject> samples = [.. Enumerable.Range(0, Math.Min(scored, part.Docs.Count)).Select(i => part.Evaluate(i, scorer))];
        output.WriteLine($"{task}: scored in {sw.ElapsedMilliseconds} ms");
        output.WriteLine($"{task}: {scorer.ForwardTokens} of {scorer.NaiveTokens} naive forward tokens ({100.0 * scorer.ForwardTokens / scorer.NaiveTokens:F1}%)");
        return (m, samples, scorer);
    }

    /// <summary>Checks one multiple-choice sample against the reference; returns (acc, acc_norm) as the reference computes them.</summary>
    private void CheckChoices(NaiveHarness reference, List<JsonObject> samples, int d, string context, string[] choices, int gold, bool accNorm)
    {
        Assert.Equal(context, _contexts[d]);
        if (d >= samples.Count) return;
        JsonObject sample = samples[d];
        JsonArray got = sample["filtered_resps"]!.AsArray();
        Assert.Equal(choices.Length, got.Count);
        Assert.Equal(gold, sample["target"]!.GetValue<int>());
        double[] lls = new double[choices.Length];
        for (int i = 0; i < choices.Length; i++)
        {
            Assert.Equal(context, sample["arguments"]![i]![0]!.GetValue<string>());
            (double ll, bool greedy) = reference.Loglikelihood(context, " " + choices[i]);
            Assert.InRange(got[i]![0]!.GetValue<double>() - ll, -1e-4, 1e-4);
            Assert.Equal(greedy, got[i]![1]!.GetValue<bool>());
            lls[i] = ll;
        }
        Assert.Equal(ArgMax(lls) == gold ? 1.0 : 0.0, sample["acc"]!.GetValue<double>());
        if (accNorm)
            Assert.Equal(ArgMax([.. lls.Select((l, i) => l / choices[i].Length)]) == gold ? 1.0 : 0.0, sample["acc_norm"]!.GetValue<double>());
    }

    private static int ArgMax(double[] xs) => Array.IndexOf(xs, xs.Max());

    /// <summary>The harness's default sampler for a task whose few-shot split is the evaluated split.</summary>
    private static List<int> Shots(PythonRandom rng, int poolSize, int self, int k) =>
        [.. rng.Sample(poolSize, k + 1).Where(i => i != self).Take(k)];

    [SkippableFact]
    public void Arc_easy_matches_the_reference()
    {
        List<JsonObject> rows = ReadRows("arc_easy/test.jsonl");
        (LoadedModel m, List<JsonObject> samples, Scorer scorer) = RunTask("arc_easy", null, 3);
        using (m)
        using (scorer)
        {
            NaiveHarness reference = new(m, MaxLength);
            PythonRandom rng = new(1234);
            string Q(JsonObject r) => $"Question: {r["question"]}\nAnswer:";
            string Answer(JsonObject r) => r["choices"]!["text"]![r["choices"]!["label"]!.AsArray().Select(x => x!.ToString()).ToList().IndexOf(r["answerKey"]!.ToString())]!.ToString();
            for (int d = 0; d < Rows; d++)
            {
                JsonObject r = rows[d];
                string shots = string.Concat(Shots(rng, rows.Count, d, 3).Select(i => Q(rows[i]) + " " + Answer(rows[i]) + "\n\n"));
                string[] choices = [.. r["choices"]!["text"]!.AsArray().Select(x => x!.ToString())];
                CheckChoices(reference, samples, d, shots + Q(r), choices, Array.IndexOf(choices, Answer(r)), accNorm: true);
            }
        }
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
        (LoadedModel m, List<JsonObject> samples, Scorer scorer) = RunTask("hellaswag", null, 2);
        using (m)
        using (scorer)
        {
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
                string shots = string.Concat(Shots(rng, rows.Count, d, 2).Select(i => Q(rows[i]) + " " + Endings(rows[i])[int.Parse(rows[i]["label"]!.ToString())] + "\n\n"));
                CheckChoices(reference, samples, d, shots + Q(r), Endings(r), int.Parse(r["label"]!.ToString()), accNorm: true);
            }
        }
    }

    [SkippableFact]
    public void Mmlu_astronomy_matches_the_reference()
    {
        List<JsonObject> test = [.. ReadRows("mmlu/test.jsonl").Where(r => r["subject"]!.ToString() == "astronomy")];
        List<JsonObject> dev = [.. ReadRows("mmlu/dev.jsonl").Where(r => r["subject"]!.ToString() == "astronomy")];
        (LoadedModel m, List<JsonObject> samples, Scorer scorer) = RunTask("mmlu", "astronomy", null);
        using (m)
        using (scorer)
        {
            NaiveHarness reference = new(m, MaxLength);
            string Q(JsonObject r)
            {
                JsonArray c = r["choices"]!.AsArray();
                return $"{r["question"]!.ToString().Trim()}\nA. {c[0]}\nB. {c[1]}\nC. {c[2]}\nD. {c[3]}\nAnswer:";
            }
            string[] letters = ["A", "B", "C", "D"];
            string prefix = "The following are multiple choice questions (with answers) about astronomy.\n\n"
                + string.Concat(dev.Take(5).Select(r => Q(r) + " " + letters[r["answer"]!.GetValue<int>()] + "\n\n"));
            for (int d = 0; d < Rows; d++)
                CheckChoices(reference, samples, d, prefix + Q(test[d]), letters, test[d]["answer"]!.GetValue<int>(), accNorm: false);
        }
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
        foreach (string task in new[] { "truthfulqa_mc1", "truthfulqa_mc2" })
        {
            (LoadedModel m, List<JsonObject> samples, Scorer scorer) = RunTask(task, null, null, TruthfulQaRows, TruthfulQaRows);
            using (m)
            using (scorer)
            {
                NaiveHarness reference = new(m, MaxLength);
                string field = task == "truthfulqa_mc1" ? "mc1_targets" : "mc2_targets";
                for (int d = 0; d < TruthfulQaRows; d++)
                {
                    JsonObject r = rows[d];
                    string ctx = TruthfulQaPrompt + $"\n\nQ: {r["question"]}\nA:";
                    string[] choices = [.. r[field]!["choices"]!.AsArray().Select(x => x!.ToString())];
                    if (task == "truthfulqa_mc1")
                    {
                        CheckChoices(reference, samples, d, ctx, choices, 0, accNorm: false);
                        continue;
                    }
                    int[] labels = [.. r[field]!["labels"]!.AsArray().Select(x => x!.GetValue<int>())];
                    int split = Array.IndexOf(labels, 0);
                    double[] p = [.. choices.Select(c => Math.Exp(reference.Loglikelihood(ctx, " " + c).Ll))];
                    double mc2 = p.Take(split).Sum() / p.Sum();
                    Assert.InRange(samples[d]["mc2"]!.GetValue<double>() - mc2, -1e-12, 1e-12);
                }
            }
        }
    }

    [SkippableFact]
    public void Wikitext_rolling_loglikelihood_matches_the_reference()
    {
        (LoadedModel m, List<JsonObject> samples, Scorer scorer) = RunTask("wikitext", null, null, limit: 1, scored: 1);
        using (m)
        using (scorer)
        {
            NaiveHarness reference = new(m, MaxLength);
            string[] lines = [.. File.ReadLines(Fixtures.Path_("data/wikitext2/wiki.test.raw")).Where(l => l.Trim().Length > 0)];
            List<string> pages = [];
            foreach (string l in lines)
            {
                if (Regex.IsMatch(l, @"^ = [^=].* = $")) pages.Add("");
                pages[^1] += l + "\n";
            }
            for (int d = 0; d < 1; d++)
            {
                string page = pages[d];
                Assert.Equal(page, samples[d]["doc"]!["page"]!.ToString());
                string text = samples[d]["arguments"]![0]![0]!.ToString();
                Assert.Equal(TextFilters.WikitextDetokenize(page), text);
                double ll = reference.Rolling(text);
                Assert.InRange(samples[d]["filtered_resps"]![0]!.GetValue<double>() - ll, -1e-4, 1e-4);
                Assert.Equal(Regex.Matches(page, @"\s+").Count + 1, samples[d]["word_perplexity"]![1]!.GetValue<int>());
                Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(page), samples[d]["byte_perplexity"]![1]!.GetValue<int>());
            }
        }
    }
}

using System.Text.Json.Nodes;

namespace Cria.Tests.Cli;

/// <summary>`cria eval` and `cria leaderboard` end to end, as a user runs them, on stories260K and a few rows.</summary>
public class EvalCliTests
{
    private static string Model => Fixtures.Path_("models/stories260K/stories260K.bin");

    private static JsonObject Results(string dir) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Directory.GetFiles(dir, "results_*.json").Single()))!;

    [SkippableFact]
    public void Eval_writes_harness_layout_resumes_and_feeds_the_leaderboard()
    {
        using TempDir tmp = new();
        string db = tmp.File("board.db"), out1 = tmp.File("run1"), out2 = tmp.File("run2");
        string[] args = ["eval", Model, "--tasks", "arc_easy,truthfulqa_mc2", "--data-dir", Fixtures.Path_("data"), "--limit", "2",
            "--num-fewshot", "1", "--db", db, "--log-samples", "--ctx", "128"];
        CliRunner.Result r1 = CliRunner.Run([.. args, "--output", out1]);
        Assert.True(r1.ExitCode == 0, r1.Stderr);
        JsonObject res = Results(out1);
        JsonObject arc = res["results"]!["arc_easy"]!.AsObject();
        Assert.InRange(arc["acc,none"]!.GetValue<double>(), 0, 1);
        Assert.NotNull(arc["acc_stderr,none"]);
        Assert.NotNull(arc["acc_norm,none"]);
        Assert.NotNull(res["results"]!["truthfulqa_mc2"]!["mc2,none"]);
        Assert.Equal(1, res["n-shot"]!["arc_easy"]!.GetValue<int>());
        Assert.NotNull(res["versions"]!["arc_easy"]);
        Assert.Equal(2, res["config"]!["limit"]!.GetValue<int>());
        Assert.Equal(1234, res["config"]!["fewshot_seed"]!.GetValue<int>());
        Assert.Equal(2, res["n-samples"]!["arc_easy"]!["effective"]!.GetValue<int>());

        string[] lines = File.ReadAllLines(Path.Combine(out1, "samples_arc_easy.jsonl"));
        Assert.Equal(2, lines.Length);
        JsonObject s0 = (JsonObject)JsonNode.Parse(lines[0])!;
        Assert.Equal(0, s0["doc_id"]!.GetValue<int>());
        Assert.Equal(4, s0["filtered_resps"]!.AsArray().Count);
        Assert.Equal(4, s0["arguments"]!.AsArray().Count);
        Assert.EndsWith("Answer:", s0["arguments"]![0]![0]!.GetValue<string>());
        Assert.Equal(" " + s0["doc"]!["choices"]!["text"]![0]!.GetValue<string>(), s0["arguments"]![0]![1]!.GetValue<string>());
        Assert.NotNull(s0["acc"]);
        Assert.NotNull(s0["acc_norm"]);

        // A rerun finds every sample in the database and reproduces the numbers.
        CliRunner.Result r2 = CliRunner.Run([.. args, "--output", out2]);
        Assert.True(r2.ExitCode == 0, r2.Stderr);
        Assert.Contains("resuming, 2 of 2", r2.Stderr);
        Assert.Equal(res["results"]!.ToJsonString(), Results(out2)["results"]!.ToJsonString());

        CliRunner.Result md = CliRunner.Run("leaderboard", "--db", db, "--format", "md");
        Assert.True(md.ExitCode == 0, md.Stderr);
        Assert.Contains("stories260K.bin", md.Stdout);
        Assert.Contains("arc_easy", md.Stdout);
        string html = tmp.File("board.html"), png = tmp.File("board.png"), json = tmp.File("board.json");
        Assert.Equal(0, CliRunner.Run("leaderboard", "--db", db, "--format", "html", "--out", html).ExitCode);
        string page = File.ReadAllText(html);
        Assert.Contains("<table id=\"board\"", page);
        Assert.Contains("<svg", page);
        Assert.DoesNotContain("src=\"http", page);
        Assert.DoesNotContain("href=\"http", page);
        Assert.Equal(0, CliRunner.Run("leaderboard", "--db", db, "--format", "png", "--out", png).ExitCode);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(png)[..4]);
        Assert.Equal(0, CliRunner.Run("leaderboard", "--db", db, "--format", "json", "--out", json).ExitCode);
        JsonObject board = (JsonObject)JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Single(board["models"]!.AsArray());
        double mc2 = res["results"]!["truthfulqa_mc2"]!["mc2,none"]!.GetValue<double>();
        Assert.Equal(mc2, board["models"]![0]!["scores"]!["truthfulqa_mc2"]!["value"]!.GetValue<double>());
    }

    /// <summary>
    /// A results file without what legitimately differs between these runs: the time stamps, the batch size the
    /// run was asked for, and the forward-token counts (batching changes which prefixes are reused, not the scores).
    /// </summary>
    private static string Comparable(string dir)
    {
        JsonObject r = Results(dir);
        r.Remove("date");
        r.Remove("total_evaluation_time_seconds");
        r.Remove("forward_tokens");
        r["config"]!.AsObject().Remove("batch_size");
        return r.ToJsonString();
    }

    [SkippableFact]
    public void Results_files_do_not_depend_on_batch_size_or_thread_count()
    {
        using TempDir tmp = new();
        string[] common = ["eval", Model, "--tasks", "hellaswag,truthfulqa_mc2", "--data-dir", Fixtures.Path_("data"), "--limit", "3",
            "--num-fewshot", "1", "--ctx", "128", "--log-samples"];
        (string Name, string[] Args)[] runs = [("b1t1", ["--batch-size", "1", "-t", "1"]), ("b8t1", ["--batch-size", "8", "-t", "1"]), ("b1t2", ["--batch-size", "1", "-t", "2"])];
        foreach ((string name, string[] extra) in runs)
        {
            CliRunner.Result r = CliRunner.Run([.. common, .. extra, "--db", tmp.File(name + ".db"), "--output", tmp.File(name)]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        }
        Assert.Equal(8, Results(tmp.File("b8t1"))["config"]!["batch_size"]!.GetValue<int>());
        string expected = Comparable(tmp.File("b1t1"));
        string[] sampleFiles = [.. Directory.GetFiles(tmp.File("b1t1"), "samples_*.jsonl").Select(Path.GetFileName).Order()!];
        Assert.Equal(2, sampleFiles.Length);
        foreach (string other in new[] { "b8t1", "b1t2" })
        {
            Assert.Equal(expected, Comparable(tmp.File(other)));
            foreach (string f in sampleFiles)
                Assert.Equal(File.ReadAllBytes(Path.Combine(tmp.File("b1t1"), f)), File.ReadAllBytes(Path.Combine(tmp.File(other), f)));
        }
    }

    [SkippableFact]
    public void Leaderboard_group_runs_the_six_v1_tasks_at_their_shots_and_averages_them()
    {
        using TempDir tmp = new();
        // The fixtures' datasets (linked, not copied) plus a few WinoGrande rows, which the fixtures lack.
        string data = tmp.File("data");
        Directory.CreateDirectory(data);
        foreach (string d in new[] { "arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc", "gsm8k" })
            Directory.CreateSymbolicLink(Path.Combine(data, d), Fixtures.Path_("data/" + d));
        Directory.CreateDirectory(Path.Combine(data, "winogrande"));
        string Row(int i, string answer) => $$"""{"sentence": "Tom saw Lily {{i}} times and _ was glad.", "option1": "Tom", "option2": "Lily", "answer": "{{answer}}"}""";
        File.WriteAllLines(Path.Combine(data, "winogrande/validation.jsonl"), [Row(1, "1"), Row(2, "2")]);
        File.WriteAllLines(Path.Combine(data, "winogrande/train.jsonl"), [.. Enumerable.Range(3, 6).Select(i => Row(i, i % 2 == 0 ? "1" : "2"))]);

        CliRunner.Result r = CliRunner.Run("eval", Model, "--tasks", "leaderboard", "--data-dir", data, "--limit", "1", "--ctx", "96",
            "--batch-size", "4", "--db", tmp.File("x.db"), "--output", tmp.File("out"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonObject res = Results(tmp.File("out"));
        (string Task, int Shots, string Metric)[] v1 = [("arc_challenge", 25, "acc_norm,none"), ("hellaswag", 10, "acc_norm,none"), ("mmlu", 5, "acc_macro,none"),
            ("truthfulqa_mc2", 0, "mc2,none"), ("winogrande", 5, "acc,none"), ("gsm8k", 5, "exact_match,strict-match")];
        double sum = 0;
        foreach ((string task, int shots, string metric) in v1)
        {
            Assert.Equal(shots, res["n-shot"]![task]!.GetValue<int>());
            sum += res["results"]![task]![metric]!.GetValue<double>();
        }
        Assert.Equal(57, res["group_subtasks"]!["mmlu"]!.AsArray().Count);
        Assert.Equal([.. v1.Select(x => x.Task)], res["group_subtasks"]!["leaderboard"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.InRange(res["results"]!["leaderboard"]!["average,none"]!.GetValue<double>() - sum / 6 * 100, -1e-9, 1e-9);
    }

    [SkippableFact]
    public void Unknown_task_lists_the_available_ones()
    {
        CliRunner.Result r = CliRunner.Run("eval", Model, "--tasks", "arc_eazy", "--data-dir", Fixtures.Path_("data"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown task 'arc_eazy'", r.Stderr);
        foreach (string t in new[] { "arc_easy", "arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc1", "truthfulqa_mc2", "gsm8k", "wikitext", "winogrande", "leaderboard" })
            Assert.Contains(t, r.Stderr);
    }

    [SkippableFact]
    public void Missing_field_names_file_line_and_field()
    {
        using TempDir tmp = new();
        Directory.CreateDirectory(tmp.File("arc_easy"));
        string[] rows = File.ReadLines(Fixtures.Path_("data/arc_easy/test.jsonl")).Take(3).ToArray();
        JsonObject broken = (JsonObject)JsonNode.Parse(rows[1])!;
        broken.Remove("question");
        rows[1] = broken.ToJsonString();
        File.WriteAllLines(tmp.File("arc_easy/test.jsonl"), rows);
        CliRunner.Result r = CliRunner.Run("eval", Model, "--tasks", "arc_easy", "--data-dir", tmp.Path, "--num-fewshot", "0", "--db", tmp.File("x.db"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("test.jsonl:2", r.Stderr);
        Assert.Contains("question", r.Stderr);
        Assert.Contains("missing", r.Stderr);
    }

    [SkippableFact]
    public void Wrong_answer_index_names_file_line_and_field()
    {
        using TempDir tmp = new();
        Directory.CreateDirectory(tmp.File("hellaswag"));
        string[] rows = File.ReadLines(Fixtures.Path_("data/hellaswag/validation.jsonl")).Take(4).ToArray();
        JsonObject broken = (JsonObject)JsonNode.Parse(rows[2])!;
        broken["label"] = "7";
        rows[2] = broken.ToJsonString();
        File.WriteAllLines(tmp.File("hellaswag/validation.jsonl"), rows);
        CliRunner.Result r = CliRunner.Run("eval", Model, "--tasks", "hellaswag", "--data-dir", tmp.Path, "--num-fewshot", "0", "--db", tmp.File("x.db"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("validation.jsonl:3", r.Stderr);
        Assert.Contains("label", r.Stderr);
        Assert.Contains("outside the 4 choices", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [SkippableFact]
    public void Task_files_beside_the_cli_can_be_copied_and_edited()
    {
        using TempDir tmp = new();
        string source = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "src", "Cria.Cli", "tasks", "arc_easy.json"));
        File.WriteAllText(tmp.File("arc_easy_qa.json"), source.Replace("\"task\": \"arc_easy\"", "\"task\": \"arc_easy_qa\"").Replace("Question: {{question}}\\nAnswer:", "Q: {{question}}\\nA:"));
        CliRunner.Result r = CliRunner.Run("eval", Model, "--tasks", "arc_easy_qa", "--task-dir", tmp.Path, "--data-dir", Fixtures.Path_("data"),
            "--limit", "1", "--num-fewshot", "0", "--ctx", "128", "--db", tmp.File("x.db"), "--output", tmp.File("out"), "--log-samples");
        Assert.True(r.ExitCode == 0, r.Stderr);
        JsonObject s = (JsonObject)JsonNode.Parse(File.ReadLines(tmp.File("out/samples_arc_easy_qa.jsonl")).First())!;
        Assert.StartsWith("Q: ", s["arguments"]![0]![0]!.GetValue<string>());
        Assert.EndsWith("\nA:", s["arguments"]![0]![0]!.GetValue<string>());
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Tests.Hub;
using Parquet.Serialization;

namespace Cria.Tests.Evaluation;

/// <summary>
/// `cria eval` without the data files: the tasks' Hub datasets are downloaded from <see cref="FakeHub"/> (serving the
/// fixture files at the real repositories' paths, never the internet) into the HF cache, reused from the cache when
/// the Hub is gone, and give the same results as the --data-dir run; offline with an empty cache, and a dataset the
/// Hub lacks, are one-line errors naming the dataset.
/// </summary>
public class EvalHubDataTests
{
    private static string Model => Fixtures.Path_("models/stories260K/stories260K.bin");

    private const string Tasks = "arc_easy,hellaswag,mmlu_astronomy,truthfulqa_mc1";

    private static JsonObject Results(string dir) =>
        (JsonObject)JsonNode.Parse(File.ReadAllText(Directory.GetFiles(dir, "results_*.json").Single()))!;

    private static string[] Eval(TempDir d, string run, string tasks = Tasks, params string[] extra) =>
        ["eval", Model, "--tasks", tasks, "--limit", "1", "--num-fewshot", "0", "--ctx", "128", "--db", d.File(run + ".db"), "--output", d.File(run), .. extra];

    [SkippableFact]
    public async Task Datasets_come_from_the_hub_then_from_the_cache_and_match_the_data_dir_run()
    {
        using TempDir d = new();
        string data = Fixtures.Path_("data");
        // MMLU's per-subject files, cut from the fixture as the Hub's cais/mmlu splits them.
        string SubjectRows(string file, string name)
        {
            string path = d.File(name);
            File.WriteAllLines(path, File.ReadLines(Path.Combine(data, file)).Where(l => l.Contains("\"subject\": \"astronomy\"") || l.Contains("\"subject\":\"astronomy\"")));
            Assert.True(new FileInfo(path).Length > 0, $"no astronomy rows in {file}");
            return path;
        }
        // ARC-Easy as the Hub has it, in Parquet (served as an LFS file through the storage redirect).
        string arcParquet = d.File("arc-easy-test.parquet");
        await using (FileStream f = File.Create(arcParquet))
            await ParquetSerializer.SerializeAsync(File.ReadLines(Path.Combine(data, "arc_easy/test.jsonl")).Select(l => JsonNode.Parse(l).Deserialize<DataFileTests.ArcRow>()!), f);
        Dictionary<string, Dictionary<string, string>> datasets = new()
        {
            ["allenai/ai2_arc"] = new()
            {
                ["ARC-Easy/test-00000-of-00001.parquet"] = arcParquet,
                ["ARC-Challenge/test-00000-of-00001.jsonl"] = Path.Combine(data, "arc_challenge/test.jsonl"),
                ["README.md"] = Path.Combine(data, "arc_easy/LICENSE.Oxen-AI-Dive.Apache-2.0"),
            },
            ["Rowan/hellaswag"] = new() { ["default/validation/0000.jsonl"] = Path.Combine(data, "hellaswag/validation.jsonl") },
            ["cais/mmlu"] = new()
            {
                ["astronomy/test-00000-of-00001.jsonl"] = SubjectRows("mmlu/test.jsonl", "astronomy-test.jsonl"),
                ["astronomy/dev-00000-of-00001.jsonl"] = SubjectRows("mmlu/dev.jsonl", "astronomy-dev.jsonl"),
            },
            ["truthfulqa/truthful_qa"] = new() { ["multiple_choice/validation-00000-of-00001.jsonl"] = Path.Combine(data, "truthfulqa_mc/validation.jsonl") },
        };

        CliRunner.Result local, first, missing;
        string endpoint;
        await using (FakeHub hub = await FakeHub.StartAsync(new Dictionary<string, string>(), datasets))
        {
            endpoint = hub.Endpoint;
            // --data-dir files win: the Hub is not asked.
            local = CliRunner.RunWithEnvironment(FakeHub.Environment(endpoint, d), Eval(d, "local", Tasks, "--data-dir", data));
            Assert.True(local.ExitCode == 0, local.Stderr);
            Assert.Empty(hub.Requests);

            first = CliRunner.RunWithEnvironment(FakeHub.Environment(endpoint, d), Eval(d, "first"));
            Assert.True(first.ExitCode == 0, first.Stderr);
            Assert.Contains("hub allenai/ai2_arc@c0ffee0: ARC-Easy/test-00000-of-00001.parquet", first.Stderr);
            Assert.Contains(hub.Requests, r => r.Path.StartsWith("/storage/", StringComparison.Ordinal));
            Assert.Contains(hub.Requests, r => r.Path == "/api/datasets/Rowan/hellaswag/revision/refs/convert/parquet");
            Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("ARC-Challenge", StringComparison.Ordinal) || r.Path.Contains("README", StringComparison.Ordinal));

            missing = CliRunner.RunWithEnvironment(FakeHub.Environment(endpoint, d), "eval", Model, "--tasks", "gsm8k", "--limit", "1", "--db", d.File("gsm.db"));
        }
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("task gsm8k", missing.Stderr);
        Assert.Contains("openai/gsm8k", missing.Stderr);
        Assert.Contains("not found", missing.Stderr);

        // The HF cache layout, shared with huggingface_hub: datasets--org--name, refs per revision, snapshot files.
        string arc = Path.Combine(d.File("hub"), "datasets--allenai--ai2_arc");
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(arc, "refs", "main")));
        Assert.Equal(File.ReadAllBytes(arcParquet), File.ReadAllBytes(Path.Combine(arc, "snapshots", FakeHub.Commit, "ARC-Easy", "test-00000-of-00001.parquet")));
        Assert.True(File.Exists(Path.Combine(d.File("hub"), "datasets--Rowan--hellaswag", "refs", "refs", "convert", "parquet")));
        Assert.Empty(Directory.EnumerateFiles(d.File("hub"), "*.incomplete", SearchOption.AllDirectories));

        // The Hub is gone: the cached snapshot stands in, with a note saying so.
        CliRunner.Result cached = CliRunner.RunWithEnvironment(FakeHub.Environment(endpoint, d), Eval(d, "cached"));
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        Assert.Contains("cannot be reached, using the cached copy", cached.Stderr);

        string expected = Results(d.File("local"))["results"]!.ToJsonString();
        Assert.Equal(expected, Results(d.File("first"))["results"]!.ToJsonString());
        Assert.Equal(expected, Results(d.File("cached"))["results"]!.ToJsonString());
        Assert.StartsWith("hub cais/mmlu@c0ffee0", Results(d.File("first"))["configs"]!["mmlu_astronomy"]!["data_source"]!.GetValue<string>());

        // Offline (HF_HUB_OFFLINE=1) with an empty cache: one line naming the task, the dataset and the switch.
        using TempDir empty = new();
        CliRunner.Result none = CliRunner.RunWithEnvironment(FakeHub.Environment(endpoint, empty, ("HF_HUB_OFFLINE", "1")), Eval(empty, "none"));
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("offline mode (HF_HUB_OFFLINE=1): task arc_easy: dataset allenai/ai2_arc (ARC-Easy/test-*) is not in the cache", none.Stderr);
        Assert.Single(none.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Split_patterns_pick_the_shards_of_one_format_in_order()
    {
        string[] listing = ["README.md", "all/test-00001-of-00002.parquet", "all/test-00000-of-00002.parquet", "all/test.jsonl", "all/dev-00000-of-00001.parquet",
            "astronomy/test-00000-of-00001.csv", "default/validation/0000.parquet", "default/validation/index.duckdb"];
        Assert.Equal(["all/test-00000-of-00002.parquet", "all/test-00001-of-00002.parquet"], HubDatasetFetcher.Choose(listing, "all/test-*"));
        Assert.Equal(["all/test.jsonl"], HubDatasetFetcher.Choose(listing, "all/test.*"));
        Assert.Equal(["astronomy/test-00000-of-00001.csv"], HubDatasetFetcher.Choose(listing, "astronomy/test-*"));
        Assert.Equal(["default/validation/0000.parquet"], HubDatasetFetcher.Choose(listing, "default/validation/*"));
        Assert.Empty(HubDatasetFetcher.Choose(listing, "README*"));

        using TempDir d = new();
        string task = d.File("t.json");
        File.WriteAllText(task, """{"task": "t", "output_type": "multiple_choice", "dataset": {"test": "t/test.jsonl", "hub": {"repo": "a/b", "test": "../x"}}, "doc_to_text": "{{q}}", "doc_to_choice": "c", "doc_to_target": 0, "metrics": ["acc"]}""");
        CriaFormatException e = Assert.Throws<CriaFormatException>(() => TaskLoader.Load(task));
        Assert.Contains("dataset.hub.test", e.Message);
        File.WriteAllText(task, """{"task": "t", "output_type": "multiple_choice", "dataset": {"test": "t/test.jsonl", "hub": {"repo": "not a repo", "test": "x"}}, "doc_to_text": "{{q}}", "doc_to_choice": "c", "doc_to_target": 0, "metrics": ["acc"]}""");
        e = Assert.Throws<CriaFormatException>(() => TaskLoader.Load(task));
        Assert.Contains("dataset.hub.repo", e.Message);
    }
}

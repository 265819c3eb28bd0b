using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Cli.Demo;

/// <summary>The files step 1 writes: the corpora as text (one document per paragraph), the benchmark rows and the task files.</summary>
public sealed record DemoCorpus(string Stories, string RivalStories, string Facts, string Replay, string FactsTask, string PerplexityTask, string TaskDir, string DataDir, int BenchmarkRows)
{
    public const string FactsTaskName = "demo_facts";
    public const string PerplexityTaskName = "demo_stories_ppl";

    /// <summary>Generates everything from <paramref name="seed"/>: training stories, held-out stories, facts and questions.</summary>
    public static DemoCorpus Write(string outDir, DemoPlan plan, int seed, FactGenerator facts)
    {
        string corpus = Path.Combine(outDir, "corpus"), data = Path.Combine(outDir, "bench"), tasks = Path.Combine(outDir, "tasks");
        foreach (string d in new[] { corpus, Path.Combine(data, FactsTaskName), Path.Combine(data, PerplexityTaskName), tasks }) Directory.CreateDirectory(d);

        StoryGenerator stories = new(seed);
        string storiesFile = Path.Combine(corpus, "stories.txt");
        WriteDocuments(storiesFile, Enumerable.Range(0, plan.Stories).Select(_ => stories.Next()));
        // Held-out stories come from another stream of the same grammar: same kind of text, different sentences.
        StoryGenerator heldOut = new(seed + 7919);
        WriteJsonl(Path.Combine(data, PerplexityTaskName, "test.jsonl"),
            Enumerable.Range(0, plan.HeldOutStories).Select(_ => new JsonObject { ["text"] = heldOut.Next() }));
        // The Rival's own stories: the same kind of text from another author (other characters, places and things).
        StoryGenerator elsewhere = new(seed + 15485863, StoryWorld.Elsewhere);
        string rivalFile = Path.Combine(corpus, "rival_stories.txt");
        WriteDocuments(rivalFile, Enumerable.Range(0, plan.Stories).Select(_ => elsewhere.Next()));
        // Old data replayed during continued training, so the new skill does not wipe out the old one.
        StoryGenerator replay = new(seed + 104729);
        string replayFile = Path.Combine(corpus, "stories_replay.txt");
        WriteDocuments(replayFile, Enumerable.Range(0, plan.ReplayStories).Select(_ => replay.Next()));

        string factsFile = Path.Combine(corpus, "facts.txt");
        WriteDocuments(factsFile, Enumerable.Range(0, plan.FactDocuments).Select(_ => facts.Document(3)));
        List<JsonObject> rows = [.. facts.BenchmarkRows()];
        WriteJsonl(Path.Combine(data, FactsTaskName, "test.jsonl"), rows);

        string factsTask = Path.Combine(tasks, FactsTaskName + ".json");
        AtomicFile.WriteAllText(factsTask, new JsonObject
        {
            ["task"] = FactsTaskName,
            ["version"] = 1.0,
            ["output_type"] = "multiple_choice",
            ["dataset"] = new JsonObject { ["test"] = $"{FactsTaskName}/test.jsonl" },
            ["num_fewshot"] = 0,
            ["doc_to_text"] = "{{question}}",
            ["doc_to_choice"] = "choices",
            ["doc_to_target"] = "label",
            ["metrics"] = new JsonArray("acc", "acc_norm"),
        }.ToJsonString(Indented) + "\n");
        string pplTask = Path.Combine(tasks, PerplexityTaskName + ".json");
        AtomicFile.WriteAllText(pplTask, new JsonObject
        {
            ["task"] = PerplexityTaskName,
            ["version"] = 1.0,
            ["output_type"] = "loglikelihood_rolling",
            ["dataset"] = new JsonObject { ["test"] = $"{PerplexityTaskName}/test.jsonl" },
            ["num_fewshot"] = 0,
            ["doc_to_text"] = "",
            ["doc_to_target"] = "{{text}}",
            ["metrics"] = new JsonArray("word_perplexity", "byte_perplexity", "bits_per_byte"),
        }.ToJsonString(Indented) + "\n");
        return new DemoCorpus(storiesFile, rivalFile, factsFile, replayFile, factsTask, pplTask, tasks, data, rows.Count);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Documents separated by blank lines, the layout `cria data prepare` and `cria tokenizer train` split on.</summary>
    private static void WriteDocuments(string path, IEnumerable<string> docs) => AtomicFile.Write(path, s =>
    {
        using StreamWriter w = new(s, new UTF8Encoding(false), leaveOpen: true);
        foreach (string d in docs)
        {
            w.Write(d);
            w.Write("\n\n");
        }
    });

    private static void WriteJsonl(string path, IEnumerable<JsonObject> rows) => AtomicFile.Write(path, s =>
    {
        using StreamWriter w = new(s, new UTF8Encoding(false), leaveOpen: true);
        foreach (JsonObject r in rows)
        {
            w.Write(r.ToJsonString());
            w.Write('\n');
        }
    });
}

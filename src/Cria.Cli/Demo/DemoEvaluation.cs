using System.Text.Json.Nodes;
using Cria.Cli.Commands;
using Cria.Cli.Evaluation;
using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Model;

namespace Cria.Cli.Demo;

/// <summary>One model's scores in the demo: benchmark accuracy (acc, acc_norm) and held-out story perplexity.</summary>
public sealed record DemoScores(string Name, double Acc, double AccNorm, double WordPerplexity, double BitsPerByte);

/// <summary>
/// Runs the demo's two tasks on a model exactly as `cria eval` does (same task files, scorer, per-sample storage
/// and run records in the leaderboard database), so `cria eval`/`cria leaderboard` can re-run or extend them.
/// </summary>
public static class DemoEvaluation
{
    public static DemoScores Evaluate(string name, string modelDir, DemoCorpus corpus, ResultsDb db, CancellationToken ct)
    {
        string version = typeof(DemoEvaluation).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        using LoadedModel m = ModelLoader.Load(modelDir);
        ModelIdentity id = ModelIdentity.Of(m);
        using LlamaModel model = new(m);
        // The demo's models always saw BOS at the start of a document, so they are scored with it (`cria eval --add-bos`).
        using Scorer scorer = new(model, m.Tokenizer!, m.Config.MaxSeqLen) { AddBos = true };
        Dictionary<string, JsonObject> rows = [];
        foreach (string file in new[] { corpus.FactsTask, corpus.PerplexityTask })
        {
            TaskSpec spec = TaskLoader.Load(file);
            foreach (PreparedTask part in PreparedTask.Prepare(spec, null, corpus.DataDir, 1234, null, null))
            {
                List<JsonObject> samples = EvalCommand.Run(part, scorer, db, id, ct);
                JsonObject r = EvalCommand.ResultRow(part.Name, part.Aggregate(samples));
                db.RecordRun(id, part.Name, part.ConfigHash, part.NumFewshot, part.Limit, part.Seed, samples.Count, r, version);
                rows[part.Name] = r;
            }
        }
        double Get(string task, string metric) => rows[task][metric] is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
        return new DemoScores(name,
            Get(DemoCorpus.FactsTaskName, "acc,none"), Get(DemoCorpus.FactsTaskName, "acc_norm,none"),
            Get(DemoCorpus.PerplexityTaskName, "word_perplexity,none"), Get(DemoCorpus.PerplexityTaskName, "bits_per_byte,none"));
    }
}

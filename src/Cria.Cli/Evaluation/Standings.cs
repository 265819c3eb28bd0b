using System.Text.Json.Nodes;

namespace Cria.Cli.Evaluation;

/// <summary>
/// The ranking the leaderboard shows: per model (identified by weights hash, path, format, types) the latest run of
/// each task, its headline metric, and the average ×100 of the higher-is-better headlines, best first.
/// </summary>
public sealed class Standings
{
    /// <summary>Headline metric per task, in order of preference (acc_norm for ARC/HellaSwag and the macro MMLU average, as the v1 leaderboard).</summary>
    private static readonly string[] Preferred =
        ["acc_norm,none", "acc_macro,none", "mc2,none", "acc,none", "exact_match,strict-match", "exact_match,none", "word_perplexity,none"];

    public sealed record Entry(string Model, string Sha256, string Format, string DType, Dictionary<string, (string Metric, double Value)> Scores, double? Average);

    public IReadOnlyList<string> Tasks { get; }
    public IReadOnlyList<Entry> Entries { get; }

    public Standings(IReadOnlyList<ResultsDb.Run> runs, IReadOnlyList<string>? tasks)
    {
        List<string> all = [.. runs.Select(r => r.Task).Distinct().Order(StringComparer.Ordinal)];
        if (tasks is { Count: > 0 })
        {
            foreach (string t in tasks)
                if (!all.Contains(t)) throw new ArgumentException($"no run of task '{t}' in the leaderboard; recorded tasks: {string.Join(", ", all)}");
            all = [.. tasks];
        }
        else
        {
            // Members of a recorded group (mmlu_astronomy, …) are shown through the group.
            HashSet<string> groups = [.. runs.Where(r => r.Metrics.ContainsKey("acc_macro,none")).Select(r => r.Task)];
            all = [.. all.Where(t => !groups.Any(g => t.StartsWith(g + "_", StringComparison.Ordinal)))];
        }
        Tasks = all;
        List<Entry> entries = [];
        foreach (var model in runs.GroupBy(r => (r.Sha256, r.ModelPath, r.Format, r.DType)))
        {
            Dictionary<string, (string, double)> scores = [];
            foreach (string task in all)
            {
                ResultsDb.Run? latest = model.Where(r => r.Task == task).OrderBy(r => r.CreatedUtc, StringComparer.Ordinal).LastOrDefault();
                if (latest == null) continue;
                foreach (string metric in Preferred)
                    if (latest.Metrics[metric] is JsonValue v && v.TryGetValue(out double d))
                    {
                        scores[task] = (metric, d);
                        break;
                    }
            }
            if (scores.Count == 0) continue;
            double[] higher = [.. scores.Values.Where(s => !s.Item1.Contains("perplexity", StringComparison.Ordinal)).Select(s => s.Item2 * 100)];
            entries.Add(new Entry(model.Key.ModelPath, model.Key.Sha256, model.Key.Format, model.Key.DType, scores, higher.Length > 0 ? higher.Average() : null));
        }
        Entries = [.. entries.OrderByDescending(e => e.Average ?? double.NegativeInfinity).ThenBy(e => e.Model, StringComparer.Ordinal)];
    }

    public static string ShortName(string path) => Path.GetFileName(path.TrimEnd('/', '\\'));

    public static string Format(double v) => v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A task's score as shown: percentages for accuracies, plain for perplexities.</summary>
    public static string Cell(Entry e, string task) =>
        e.Scores.TryGetValue(task, out var s) ? Format(s.Metric.Contains("perplexity", StringComparison.Ordinal) ? s.Value : s.Value * 100) : "–";
}

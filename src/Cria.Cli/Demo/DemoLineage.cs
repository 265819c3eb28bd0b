using System.Globalization;
using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Lineage;
using Cria.Model;
using Spectre.Console;

namespace Cria.Cli.Demo;

/// <summary>
/// Step 5: asks the lineage engine, from the weights alone, whether Derived comes from Base and whether Rival does,
/// prints the verdicts with their evidence and keeps them in lineage.json.
/// </summary>
public static class DemoLineage
{
    public static IReadOnlyList<(string Pair, LineageReport Report)> Run(IAnsiConsole ui, string baseDir, string derivedDir, string rivalDir, string reportPath)
    {
        List<(string, LineageReport)> reports = [];
        using LoadedModel b = ModelLoader.Load(baseDir);
        foreach ((string name, string dir) in new[] { ("Derived", derivedDir), ("Rival", rivalDir) })
        {
            using LoadedModel other = ModelLoader.Load(dir);
            LineageReport r = LineageAnalyzer.Compare(other, b);
            reports.Add(($"{name} vs Base", r));
            string color = r.Verdict switch { LineageVerdict.Derived => "green", LineageVerdict.Independent => "blue", _ => "yellow" };
            ui.MarkupLine($"  [bold]{name} vs Base[/]: [{color}]{r.Verdict.ToString().ToLowerInvariant()}[/] " +
                Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"(score {r.Score:F3} ± {r.ScoreSe:F3}, null {r.NullMean:F3} ± {r.NullStd:F3}, z {r.ZScore:F1}; {r.Elapsed.TotalSeconds:F1} s)")));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"lineage: {name} vs Base: {r.Verdict.ToString().ToLowerInvariant()} score {r.Score:F3}±{r.ScoreSe:F3} null {r.NullMean:F3}±{r.NullStd:F3} z {r.ZScore:F1}"));
            ui.MarkupLineInterpolated($"    [grey]{r.Reason}[/]");
            foreach (string e in r.Evidence) ui.MarkupLineInterpolated($"    [grey]· {e}[/]");
        }
        JsonArray json = [];
        foreach ((string pair, LineageReport r) in reports)
            json.Add(new JsonObject
            {
                ["pair"] = pair,
                ["verdict"] = r.Verdict.ToString().ToLowerInvariant(),
                ["score"] = r.Score,
                ["score_se"] = r.ScoreSe,
                ["null_mean"] = r.NullMean,
                ["null_std"] = r.NullStd,
                ["z"] = r.ZScore,
                ["p_value"] = r.PValue,
                ["reason"] = r.Reason,
                ["evidence"] = new JsonArray([.. r.Evidence.Select(e => (JsonNode)e)]),
            });
        AtomicFile.WriteAllText(reportPath, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        return reports;
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Cria.Tests.Cli;

/// <summary>
/// `cria demo --quick` as a newcomer runs it, offline and without fixtures: it must finish, rank Derived above Base
/// on the benchmark of the new data, tell from the weights that Derived comes from Base and Rival does not, and
/// leave the leaderboard (SQLite, HTML, PNG), the lineage report, the models and a task file that `cria eval` accepts.
/// </summary>
public class DemoCliTests
{
    [Fact]
    public void Quick_demo_ranks_Derived_above_Base_and_writes_the_leaderboard()
    {
        using TempDir tmp = new();
        // The requested folder already holds someone's work: the demo must leave it alone and write beside it.
        string requested = tmp.File("demo"), outDir = requested + "-2";
        Directory.CreateDirectory(requested);
        File.WriteAllText(Path.Combine(requested, "notes.txt"), "mine");
        CliRunner.Result r = CliRunner.Run(null, TimeSpan.FromMinutes(5), "demo", "--quick", "--out", requested);
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(requested).Select(Path.GetFileName));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(requested, "notes.txt")));
        Assert.Contains("nothing is overwritten", r.Stdout + r.Stderr);

        Dictionary<string, (int Rank, double AccNorm)> ranks = [];
        foreach (Match m in Regex.Matches(r.Stdout, @"^rank (\d+): (\w+) demo_facts acc_norm ([\d.]+)", RegexOptions.Multiline))
            ranks[m.Groups[2].Value] = (int.Parse(m.Groups[1].Value), double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(ranks.Count == 3, r.Stdout);
        Assert.True(ranks["Derived"].Rank < ranks["Base"].Rank, r.Stdout);
        Assert.True(ranks["Derived"].AccNorm >= 50, $"Derived learned too little: {ranks["Derived"].AccNorm} %");
        Assert.Contains("Derived ranks above Base on the new data", r.Stdout);

        // Lineage from the weights alone: Derived comes from Base, Rival (own seed, own stories) does not.
        Assert.Matches(@"(?m)^lineage: Derived vs Base: derived ", r.Stdout);
        Assert.Matches(@"(?m)^lineage: Rival vs Base: independent ", r.Stdout);

        foreach (string f in new[] { "leaderboard.db", "leaderboard.html", "leaderboard.png", "lineage.json" })
        {
            Assert.Contains($"file: {Path.Combine(outDir, f)}", r.Stdout);
            Assert.True(new FileInfo(Path.Combine(outDir, f)).Length > 0, f);
        }
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(outDir, "leaderboard.png"))[..4]);
        string html = File.ReadAllText(Path.Combine(outDir, "leaderboard.html"));
        foreach (string model in new[] { "base", "derived", "rival" })
        {
            Assert.Contains(model, html);
            Assert.True(File.Exists(Path.Combine(outDir, "models", model, "model.safetensors")), model);
            Assert.True(File.Exists(Path.Combine(outDir, "models", model, "tokenizer.json")), model);
        }

        // The written task re-runs through `cria eval`; every sample is found in the demo's database, so this is quick
        // and must give the number the demo printed.
        string derived = Path.Combine(outDir, "models", "derived"), results = tmp.File("results");
        CliRunner.Result e = CliRunner.Run("eval", derived, "--tasks", "demo_facts", "--task-dir", Path.Combine(outDir, "tasks"),
            "--data-dir", Path.Combine(outDir, "bench"), "--add-bos", "--db", Path.Combine(outDir, "leaderboard.db"), "--output", results);
        Assert.True(e.ExitCode == 0, e.Stderr);
        Assert.Contains("resuming", e.Stderr);
        JsonNode res = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(results, "results_*.json").Single()))!;
        Assert.Equal(ranks["Derived"].AccNorm, Math.Round(res["results"]!["demo_facts"]!["acc_norm,none"]!.GetValue<double>() * 100, 1));
    }
}

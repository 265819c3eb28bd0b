using System.Text.Json;
using Cria.Model;
using Cria.Training;

namespace Cria.Tests.Lineage;

/// <summary>cria lineage and cria disguise end to end, as a user runs them.</summary>
public class LineageCliTests
{
    [SkippableFact]
    public void PairJsonAndHtmlReport()
    {
        using TempDir tmp = new();
        string html = tmp.File("report.html");
        var r = CliRunner.Run("lineage", LineageModels.StoriesBin, LineageModels.StoriesHf, "--json", "--report", html, "--null-samples", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        Assert.Equal("derived", root.GetProperty("verdict").GetString());
        Assert.True(root.GetProperty("score").GetDouble() > 0.99);
        Assert.Equal(5, root.GetProperty("layer_similarity").GetArrayLength());
        Assert.Equal(2, root.GetProperty("nulls").GetArrayLength());
        string page = File.ReadAllText(html);
        Assert.Contains("<svg", page, StringComparison.Ordinal);
        Assert.Contains(">derived<", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page, StringComparison.Ordinal);
        Assert.DoesNotContain("http", page.Replace("http://www.w3.org/2000/svg", ""), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void AgainstAFolderRanksTheDisguisedCopyFirst()
    {
        using TempDir tmp = new();
        string dir = tmp.File("zoo");
        Directory.CreateDirectory(dir);
        var d = CliRunner.Run("disguise", LineageModels.StoriesGguf, Path.Combine(dir, "mystery.gguf"), "--seed", "5");
        Assert.True(d.ExitCode == 0, d.Stderr);
        using (LoadedModel stories = LineageModels.Load(LineageModels.StoriesBin))
        {
            TrainableLlama other = new(ModelShapes.Named("260k", 512)!);
            other.InitializeRandom(77);
            LineageModels.Save(other, Path.Combine(dir, "fresh"), stories.Tokenizer!);
        }
        File.WriteAllText(Path.Combine(dir, "broken.gguf"), "not a gguf");
        var r = CliRunner.Run("lineage", LineageModels.StoriesBin, "--against", dir, "--json", "--null-samples", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.EndsWith("mystery.gguf", rows[0].GetProperty("model_b").GetString());
        Assert.Equal("derived", rows[0].GetProperty("verdict").GetString());
        Assert.Equal("independent", rows[1].GetProperty("verdict").GetString());
        Assert.Contains("skipped", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("broken.gguf", r.Stderr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void BadInputGivesOneLineErrors()
    {
        var missing = CliRunner.Run("lineage", LineageModels.StoriesBin, "/nonexistent/model.gguf");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error: ", missing.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Contains("/nonexistent/model.gguf", missing.Stderr, StringComparison.Ordinal);
        var neither = CliRunner.Run("lineage", LineageModels.StoriesBin);
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("--against", neither.Stderr, StringComparison.Ordinal);
        using TempDir tmp = new();
        var disguise = CliRunner.Run("disguise", "/nonexistent/model.gguf", tmp.File("out.gguf"));
        Assert.Equal(1, disguise.ExitCode);
        Assert.StartsWith("error: ", disguise.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Contains("/nonexistent/model.gguf", disguise.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(tmp.File("out.gguf")));
    }
}

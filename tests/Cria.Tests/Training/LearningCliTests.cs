using System.Text.Json;

namespace Cria.Tests.Training;

/// <summary>
/// Must-shows 3 and 4 in seconds, through the CLI as a user runs them: short runs whose held-out validation loss
/// (fixed windows, the same before and after) must fall by a clear margin, and whose checkpoint must generate.
/// </summary>
public class LearningCliTests
{
    private static string Stories => Fixtures.Path_("models/stories260K/stories260K.bin");
    private static string Tok512 => Fixtures.Path_("models/stories260K/tok512.bin");

    private static (List<double> Train, List<double> Val) ReadLog(string path)
    {
        List<double> train = new(), val = new();
        foreach (string line in File.ReadAllLines(path))
        {
            JsonElement e = JsonDocument.Parse(line).RootElement;
            if (e.TryGetProperty("loss", out JsonElement l)) train.Add(l.GetDouble());
            if (e.TryGetProperty("val_loss", out JsonElement v)) val.Add(v.GetDouble());
        }
        return (train, val);
    }

    private static void AssertGenerates(string ckpt, string prompt)
    {
        var gen = CliRunner.Run("generate", ckpt, "-p", prompt, "-n", "24", "--temperature", "0");
        Assert.True(gen.ExitCode == 0, gen.Stderr);
        Assert.True(gen.Stdout.Count(char.IsLetter) >= 10, $"generated: '{gen.Stdout}'");
    }

    /// <summary>Must-show 3: stories260K continued on tiny Shakespeare (tok512 reused) for 16 steps of 4×64 tokens.</summary>
    [SkippableFact]
    public void ContinuedPretrainingOnShakespeareLowersHeldOutLoss()
    {
        string shakespeare = Fixtures.Path_("data/text/tiny_shakespeare.txt");
        using TempDir tmp = new();
        string data = tmp.File("data"), ckpt = tmp.File("ckpt"), log = tmp.File("log.jsonl");
        var prep = CliRunner.Run("data", "prepare", shakespeare, "--tokenizer", Stories, "--out", data, "--val-fraction", "0.05");
        Assert.True(prep.ExitCode == 0, prep.Stderr);
        var r = CliRunner.Run("train", "--from", Stories, "--data", data, "--batch", "4", "--seq", "64", "--steps", "16", "--lr", "4e-3",
            "--warmup", "3", "--eval-every", "16", "--eval-steps", "4", "--out", ckpt, "--log", log);
        Assert.True(r.ExitCode == 0, r.Stderr);
        (_, List<double> val) = ReadLog(log);
        Assert.Equal(2, val.Count);
        // Measured: 5.29 → 3.45 (TinyStories prose → Shakespeare's verse and names).
        Assert.True(val[1] < val[0] - 1.0, $"validation loss {val[0]:F3} → {val[1]:F3}");
        AssertGenerates(ckpt, "ROMEO:");
    }

    /// <summary>Must-show 4: a 260k-shaped model from random init on TinyStories text (40 steps of 4×64 tokens).</summary>
    [SkippableFact]
    public void FromScratchLossFallsWellBelowUniform()
    {
        string sample = Fixtures.Path_("data/text/tinystories_sample.txt");
        using TempDir tmp = new();
        string data = tmp.File("data"), ckpt = tmp.File("ckpt"), log = tmp.File("log.jsonl");
        var prep = CliRunner.Run("data", "prepare", sample, "--tokenizer", Tok512, "--out", data, "--val-fraction", "0.2");
        Assert.True(prep.ExitCode == 0, prep.Stderr);
        var r = CliRunner.Run("train", "--config", "260k", "--tokenizer", Tok512, "--data", data, "--batch", "4", "--seq", "64", "--steps", "40",
            "--lr", "5e-3", "--warmup", "4", "--eval-every", "40", "--eval-steps", "4", "--out", ckpt, "--log", log);
        Assert.True(r.ExitCode == 0, r.Stderr);
        (List<double> train, List<double> val) = ReadLog(log);
        double uniform = Math.Log(512);
        // A random init starts at ln(vocab); measured: train 6.24 → 4.59 (mean of the last 5 steps 4.7), held-out story 6.26 → 5.40.
        Assert.True(Math.Abs(train[0] - uniform) < 0.05, $"first loss {train[0]:F3}, ln(512) = {uniform:F3}");
        double last = train.TakeLast(5).Average();
        Assert.True(last < uniform - 1.25, $"train loss {train[0]:F3} → {last:F3} (mean of the last 5 steps)");
        Assert.True(val[^1] < val[0] - 0.5, $"validation loss {val[0]:F3} → {val[^1]:F3}");
        AssertGenerates(ckpt, "Once upon a time");
    }
}

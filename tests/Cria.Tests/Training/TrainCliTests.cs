using System.Security.Cryptography;
using System.Text.Json;

namespace Cria.Tests.Training;

/// <summary>cria data prepare + cria train end to end: PyTorch's losses, exact resume after SIGKILL, bad input.</summary>
public class TrainCliTests
{
    private static string Sample => Fixtures.Path_("data/text/tinystories_sample.txt");
    private static string Stories => Fixtures.Path_("models/stories260K/stories260K.bin");
    private static string Tok512 => Fixtures.Path_("models/stories260K/tok512.bin");

    private static string Prepare(TempDir tmp, string name = "data", params string[] extra)
    {
        string dir = tmp.File(name);
        var r = CliRunner.Run(["data", "prepare", Sample, "--tokenizer", Stories, "--out", dir, .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return dir;
    }

    private static List<JsonElement> ReadLog(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [SkippableFact]
    public void OverfitBatchFromTheCliMatchesPyTorch()
    {
        TorchReference reference = TorchReference.Load();
        using TempDir tmp = new();
        string data = Prepare(tmp);
        string log = tmp.File("log.jsonl"), ckpt = tmp.File("ckpt");
        var r = CliRunner.Run("train", "--from", Stories, "--data", data, "--overfit-batch", "--batch", "4", "--seq", "64", "--lr", "1e-3",
            "--beta2", "0.99", "--weight-decay", "0.01", "--clip", "1", "--steps", "10", "--log", log, "--out", ckpt);
        Assert.True(r.ExitCode == 0, r.Stderr);
        List<JsonElement> steps = ReadLog(log);
        Assert.Equal(10, steps.Count);
        Assert.True(Math.Abs(steps[0].GetProperty("loss").GetDouble() - reference.InitialLoss) <= 1e-5);
        for (int i = 0; i < 10; i++)
        {
            double loss = steps[i].GetProperty("loss").GetDouble(), norm = steps[i].GetProperty("grad_norm").GetDouble();
            Assert.True(Math.Abs(loss - reference.LossBefore[i]) <= 1e-4 * reference.LossBefore[i], $"step {i}: loss {loss} vs PyTorch {reference.LossBefore[i]}");
            Assert.True(Math.Abs(norm - reference.NormBefore[i]) <= 1e-4 * reference.NormBefore[i], $"step {i}: grad norm {norm} vs PyTorch {reference.NormBefore[i]}");
        }
        var gen = CliRunner.Run("generate", ckpt, "-p", "Once upon a time", "-n", "20", "--temperature", "0");
        Assert.True(gen.ExitCode == 0, gen.Stderr);
        Assert.False(string.IsNullOrWhiteSpace(gen.Stdout));
    }

    [SkippableFact]
    public void ResumeAfterSigkillEqualsAnUninterruptedRun()
    {
        using TempDir tmp = new();
        string data = Prepare(tmp, "data", "--val-fraction", "0.2");
        string[] common = ["--data", data, "--batch", "2", "--seq", "32", "--lr", "2e-3", "--min-lr", "2e-4", "--warmup", "3", "--steps", "16", "--seed", "5"];
        string full = tmp.File("full"), cut = tmp.File("cut");
        var a = CliRunner.Run(["train", "--config", "260k", "--tokenizer", Tok512, "--out", full, "--log", tmp.File("full.jsonl"), .. common]);
        Assert.True(a.ExitCode == 0, a.Stderr);
        var b = CliRunner.Run(["train", "--config", "260k", "--tokenizer", Tok512, "--out", cut, "--log", tmp.File("cut.jsonl"), "--save-every", "8", "--kill-after", "11", .. common]);
        Assert.NotEqual(0, b.ExitCode);
        Assert.Equal(11, ReadLog(tmp.File("cut.jsonl")).Count);
        var c = CliRunner.Run("train", "--resume", cut);
        Assert.True(c.ExitCode == 0, c.Stderr);
        string[] Losses(string f) => ReadLog(f).Select(e => e.GetProperty("loss").GetRawText() + "/" + e.GetProperty("grad_norm").GetRawText()).ToArray();
        Assert.Equal(16, Losses(tmp.File("full.jsonl")).Length);
        Assert.Equal(Losses(tmp.File("full.jsonl")), Losses(tmp.File("cut.jsonl")));
        string Hash(string dir) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, "model.safetensors"))));
        Assert.Equal(Hash(full), Hash(cut));
    }

    [SkippableFact]
    public void BadInputGivesClearErrorsAndKeepsTheCheckpoint()
    {
        using TempDir tmp = new();
        string data = Prepare(tmp);
        Directory.CreateDirectory(tmp.File("empty"));
        var empty = CliRunner.Run("train", "--from", Stories, "--data", tmp.File("empty"), "--steps", "1", "--out", tmp.File("x"));
        Assert.Equal(1, empty.ExitCode);
        Assert.Contains("cria-data.json", empty.Stderr);

        // Data tokenized with LLaMA-2's 32000-token vocabulary cannot train stories260K (512 tokens).
        string llama = Fixtures.Path_("models/llama2-tokenizer/tokenizer.model");
        string other = tmp.File("other");
        Assert.Equal(0, CliRunner.Run("data", "prepare", Sample, "--tokenizer", llama, "--out", other).ExitCode);
        var vocab = CliRunner.Run("train", "--from", Stories, "--data", other, "--steps", "1", "--out", tmp.File("x"));
        Assert.Equal(1, vocab.ExitCode);
        Assert.Contains("vocab", vocab.Stderr);

        string ckpt = tmp.File("ckpt");
        Assert.Equal(0, CliRunner.Run("train", "--from", Stories, "--data", data, "--batch", "2", "--seq", "16", "--steps", "2", "--out", ckpt).ExitCode);
        byte[] weights = File.ReadAllBytes(Path.Combine(ckpt, "model.safetensors"));
        byte[] opt = File.ReadAllBytes(Path.Combine(ckpt, "optimizer.bin"));
        opt[100] ^= 1;
        File.WriteAllBytes(Path.Combine(ckpt, "optimizer.bin"), opt);
        var corrupt = CliRunner.Run("train", "--resume", ckpt, "--steps", "4");
        Assert.Equal(1, corrupt.ExitCode);
        Assert.Contains("optimizer.bin", corrupt.Stderr);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(ckpt, "model.safetensors")));

        var nonEmpty = CliRunner.Run("data", "prepare", Sample, "--tokenizer", Stories, "--out", data);
        Assert.Equal(1, nonEmpty.ExitCode);
        Assert.Contains("not empty", nonEmpty.Stderr);
    }
}

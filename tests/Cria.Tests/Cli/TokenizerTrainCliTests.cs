using System.Security.Cryptography;

namespace Cria.Tests.Cli;

/// <summary>`cria tokenizer train` end to end: its folder feeds `data prepare` and `train --config`, and the result generates.</summary>
public class TokenizerTrainCliTests
{
    private static string Corpus(TempDir tmp)
    {
        string[] who = ["The fox", "A small owl", "Old Tom", "The red hen"], did = ["ran to the river", "sang a song", "ate seven plums", "slept all day"];
        string path = tmp.File("corpus.txt");
        File.WriteAllLines(path, Enumerable.Range(0, 400).Select(i => $"{who[i % 4]} {did[i * 7 % 4]} on day {i % 31}.\n"));
        return path;
    }

    [Fact]
    public void Trained_tokenizer_feeds_data_prepare_and_train_from_scratch()
    {
        using TempDir tmp = new();
        string corpus = Corpus(tmp), tok = tmp.File("tok"), data = tmp.File("data"), model = tmp.File("model");
        CliRunner.Result t = CliRunner.Run("tokenizer", "train", corpus, "--vocab-size", "300", "--out", tok);
        Assert.True(t.ExitCode == 0, t.Stderr);
        Assert.Contains("300 tokens", t.Stderr);
        byte[] first = File.ReadAllBytes(Path.Combine(tok, "tokenizer.json"));

        // The folder is never overwritten; the same text trained elsewhere gives the same bytes.
        CliRunner.Result again = CliRunner.Run("tokenizer", "train", corpus, "--vocab-size", "300", "--out", tok);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already holds a tokenizer.json", again.Stderr);
        Assert.Equal(0, CliRunner.Run("tokenizer", "train", corpus, "--vocab-size", "300", "--out", tmp.File("tok2")).ExitCode);
        Assert.Equal(SHA256.HashData(first), SHA256.HashData(File.ReadAllBytes(Path.Combine(tmp.File("tok2"), "tokenizer.json"))));

        CliRunner.Result p = CliRunner.Run("data", "prepare", corpus, "--tokenizer", tok, "--out", data);
        Assert.True(p.ExitCode == 0, p.Stderr);
        CliRunner.Result tr = CliRunner.Run("train", "--config", "260k", "--tokenizer", tok, "--data", data, "--steps", "3", "--batch", "2", "--seq", "32", "--out", model);
        Assert.True(tr.ExitCode == 0, tr.Stderr);
        Assert.True(File.Exists(Path.Combine(model, "tokenizer.json")));
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(model, "tokenizer.json")));
        CliRunner.Result g = CliRunner.Run("generate", model, "-p", "The fox", "-n", "5", "--temperature", "0");
        Assert.True(g.ExitCode == 0, g.Stderr);
        CliRunner.Result ids = CliRunner.Run("tokenize", model, "The fox ran");
        Assert.True(ids.ExitCode == 0, ids.Stderr);
        Assert.StartsWith("0 ", ids.Stdout.Trim()); // BOS is <s>, id 0
    }

    [Fact]
    public void Bad_input_gets_one_line_errors()
    {
        using TempDir tmp = new();
        string corpus = Corpus(tmp);
        CliRunner.Result missing = CliRunner.Run("tokenizer", "train", tmp.File("nope.txt"), "--vocab-size", "300", "--out", tmp.File("t"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("nope.txt", missing.Stderr);
        CliRunner.Result small = CliRunner.Run("tokenizer", "train", corpus, "--vocab-size", "100", "--out", tmp.File("t"));
        Assert.Equal(1, small.ExitCode);
        Assert.Contains("--vocab-size 100", small.Stderr);
        Assert.False(Directory.Exists(tmp.File("t")));
    }
}

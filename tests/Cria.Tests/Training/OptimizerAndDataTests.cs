using Cria.Model;
using Cria.Tensors;
using Cria.Text;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>LR schedule, gradient accumulation and data preparation on small inputs.</summary>
public class OptimizerAndDataTests
{
    [Fact]
    public void ScheduleWarmsUpLinearlyThenDecaysByCosineToTheFloor()
    {
        LrSchedule s = new(1e-3f, 1e-4f, 10, 110, true);
        Assert.Equal(1e-4f, s.At(0), 1e-9f);
        Assert.Equal(1e-3f, s.At(9), 1e-9f);
        Assert.Equal(1e-3f, s.At(10), 1e-9f);
        Assert.Equal(5.5e-4f, s.At(60), 1e-8f);
        Assert.Equal(1e-4f, s.At(110), 1e-9f);
        Assert.Equal(1e-4f, s.At(500), 1e-9f);
        Assert.Equal(2e-3f, LrSchedule.Constant(2e-3f).At(1000));
    }

    private sealed class Rows(int[] x, int[] y, int rowsPerCall, int seq) : IBatchSource
    {
        private int _next;

        public void Next(Span<int> inputs, Span<int> targets)
        {
            x.AsSpan(_next * seq, rowsPerCall * seq).CopyTo(inputs);
            y.AsSpan(_next * seq, rowsPerCall * seq).CopyTo(targets);
            _next = (_next + rowsPerCall) % (x.Length / seq);
        }
    }

    [Fact]
    public void TwoAccumulatedHalfBatchesGiveTheFullBatchUpdate()
    {
        LlamaConfig c = new LlamaConfig { Dim = 16, HiddenDim = 32, Layers = 1, Heads = 2, KvHeads = 1, VocabSize = 23, MaxSeqLen = 16 }.Normalize("test");
        Random rng = new(1);
        int[] x = Enumerable.Range(0, 4 * 8).Select(_ => rng.Next(23)).ToArray(), y = Enumerable.Range(0, 4 * 8).Select(_ => rng.Next(23)).ToArray();
        float[] Grad(int batch, int accum)
        {
            TrainableLlama m = new(c);
            m.InitializeRandom(9);
            using WorkerPool pool = new(1);
            using Trainer t = new(m, new TrainerOptions { Batch = batch, Seq = 8, GradAccum = accum, Clip = 0 }, pool);
            t.Step(new Rows(x, y, batch, 8));
            return (float[])m.Parameters.Values.Clone();
        }
        float[] full = Grad(4, 1), accumulated = Grad(2, 2);
        for (int i = 0; i < full.Length; i++) Assert.True(Math.Abs(full[i] - accumulated[i]) <= 1e-6f, $"weight {i}: {full[i]} vs {accumulated[i]}");
    }

    [SkippableFact]
    public void JsonlIsPreparedPerFieldWithBosPerDocumentAndBadLinesAreNamed()
    {
        ITokenizer tok = TokenizerLoader.FromLlama2cBin(Fixtures.Path_("models/stories260K/tok512.bin"), 512);
        using TempDir tmp = new();
        File.WriteAllLines(tmp.File("a.jsonl"), ["{\"text\": \"Once upon a time\", \"id\": 1}", "", "{\"text\": \"The cat sat.\"}"]);
        TokenDataset d = new DataPreparer { Tokenizer = tok }.Prepare([tmp.File("a.jsonl")], tmp.File("out"));
        int[] expected = [.. tok.Encode("Once upon a time", true), .. tok.Encode("The cat sat.", true)];
        using TokenStream s = d.OpenTrain();
        int[] got = new int[s.Length];
        s.Read(0, got);
        Assert.Equal(expected, got);
        Assert.Equal(2, d.Documents);
        Assert.Equal(TokenDataset.Fingerprint(tok), d.TokenizerFingerprint);

        File.WriteAllLines(tmp.File("b.jsonl"), ["{\"text\": \"fine\"}", "{\"body\": \"no text field\"}"]);
        var e = Assert.Throws<Cria.Formats.CriaFormatException>(() => new DataPreparer { Tokenizer = tok }.Prepare([tmp.File("b.jsonl")], tmp.File("out2")));
        Assert.Contains("line 2", e.Message);
        Assert.False(File.Exists(Path.Combine(tmp.File("out2"), TokenDataset.ManifestName)));
    }

    [SkippableFact]
    public void DataFromAnotherTokenizerOfTheSameSizeIsRefused()
    {
        ITokenizer tok = TokenizerLoader.FromLlama2cBin(Fixtures.Path_("models/stories260K/tok512.bin"), 512);
        using TempDir tmp = new();
        File.WriteAllText(tmp.File("a.txt"), "Once upon a time.\n\nThe end.");
        TokenDataset d = new DataPreparer { Tokenizer = tok }.Prepare([tmp.File("a.txt")], tmp.File("out"));
        string manifest = Path.Combine(tmp.File("out"), TokenDataset.ManifestName);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(d.TokenizerFingerprint, new string('0', 64)));
        var e = Assert.Throws<Cria.Formats.CriaFormatException>(() => TokenDataset.Open(tmp.File("out")).CheckTokenizer(tok, 512, "stories260K"));
        Assert.Contains("different tokenizer", e.Message);
    }
}

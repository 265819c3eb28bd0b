using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Xunit.Abstractions;

namespace Cria.Tests.Evaluation;

/// <summary>Must-show 4 at the library level: batched scoring gives the bits of one-at-a-time scoring.</summary>
public class BatchScoringTests(ITestOutputHelper output)
{
    private static LoadedModel Load() => ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));

    [SkippableFact]
    public void Forward_segments_equal_per_sequence_forward_bit_for_bit()
    {
        using LoadedModel m = Load();
        // A small MaxBatch makes segments span passes and passes hold several segments.
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread, MaxBatch = 16 };
        int vocab = m.Config.VocabSize;
        int[] prefill = [0, 5, 12];
        int[] lengths = [9, 1, 30];
        int[][] seqs = [.. Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, prefill[s] + lengths[s]).Select(i => (i * 31 + s * 7 + 3) % vocab).ToArray())];

        KvCache[] caches = [.. Enumerable.Range(0, 3).Select(_ => model.CreateCache(64))];
        List<float[]> expected = [];
        for (int s = 0; s < 3; s++)
        {
            using KvCache c = model.CreateCache(64);
            float[] all = new float[seqs[s].Length * vocab];
            model.Forward(seqs[s], c, all, allLogits: true);
            expected.Add(all[(prefill[s] * vocab)..]);
            if (prefill[s] > 0) model.Forward(seqs[s].AsSpan(0, prefill[s]), caches[s], new float[vocab]);
        }
        int[] tokens = [.. Enumerable.Range(0, 3).SelectMany(s => seqs[s][prefill[s]..])];
        int[] logitRows = [.. Enumerable.Range(0, tokens.Length)];
        float[] got = new float[tokens.Length * vocab];
        model.ForwardSegments(tokens, lengths, caches, logitRows, got);
        int row = 0;
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(prefill[s] + lengths[s], caches[s].Length);
            for (int i = 0; i < lengths[s] * vocab; i++)
                Assert.True(BitConverter.SingleToInt32Bits(expected[s][i]) == BitConverter.SingleToInt32Bits(got[row * vocab + i]), $"segment {s} logit {i}");
            row += lengths[s];
        }
        foreach (KvCache c in caches) c.Dispose();
    }

    [SkippableFact]
    public void Forward_segments_reject_bad_arguments()
    {
        using LoadedModel m = Load();
        using LlamaModel model = new(m);
        using KvCache a = model.CreateCache(8), b = model.CreateCache(8);
        float[] logits = new float[m.Config.VocabSize * 4];
        Assert.Throws<ArgumentException>(() => model.ForwardSegments([1, 2, 3], [2, 2], [a, b], [], logits));
        Assert.Throws<ArgumentException>(() => model.ForwardSegments([1, 2], [1, 1], [a, a], [], logits));
        Assert.Throws<ArgumentException>(() => model.ForwardSegments([1, 2], [1, 1], [a, b], [1, 0], logits));
        Assert.Throws<InvalidOperationException>(() => model.ForwardSegments(new int[9], [9], [a], [], logits));
    }

    [SkippableTheory]
    [InlineData("hellaswag", 1, 3)]
    [InlineData("truthfulqa_mc2", 0, 3)]
    [InlineData("mmlu", 2, 4)]
    public void Batched_scores_equal_batch_1_bit_for_bit(string task, int shots, int rows)
    {
        using LoadedModel m = Load();
        PreparedTask part = PreparedTask.Prepare(TaskLoader.Load(HarnessAgreementTests.TaskFile(task)), task == "mmlu" ? "astronomy" : null, Fixtures.Path_("data"), 1234, shots, rows)[0];
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        int[] all = [.. Enumerable.Range(0, rows)];
        string Run(int batch, bool reuse)
        {
            using Scorer s = new(model, m.Tokenizer!, 160, batch) { ReusePrefix = reuse };
            // Docs in groups of the batch size, as cria eval sends them.
            string records = string.Join('\n', all.Chunk(Math.Max(1, batch / 2)).SelectMany(g => part.EvaluateMany(g, s)).Select(r => r.ToJsonString()));
            output.WriteLine($"{task} batch {batch} reuse {reuse}: {s.ForwardTokens} of {s.NaiveTokens} forward tokens");
            return records;
        }
        string one = Run(1, true);
        Assert.Equal(one, Run(8, true));
        Assert.Equal(one, Run(3, true));
        Assert.Equal(one, Run(5, false));
    }

    [SkippableFact]
    public void Greedy_generation_in_batches_equals_one_at_a_time()
    {
        using LoadedModel m = Load();
        PreparedTask gsm8k = PreparedTask.Prepare(TaskLoader.Load(HarnessAgreementTests.TaskFile("gsm8k")), null, Fixtures.Path_("data"), 1234, 1, 3)[0];
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        string Run(int batch)
        {
            using Scorer s = new(model, m.Tokenizer!, 384, batch);
            return string.Join('\n', gsm8k.EvaluateMany([0, 1, 2], s).Select(r => r.ToJsonString()));
        }
        string one = Run(1);
        Assert.Equal(one, Run(3));
        Assert.Equal(one, Run(2));
        // Stories260K rambles rather than answering, but it does write something for every question.
        Assert.DoesNotContain("\"resps\":[[\"\"]]", one);

        // Stops end one sequence of a batch while the others go on: the same texts as one by one.
        using Scorer single = new(model, m.Tokenizer!, 256), batched = new(model, m.Tokenizer!, 256, 3);
        string[] prompts = ["Once upon a time", "Lily and Tom", "The dog ran"];
        string[] stops = [".", "\n"];
        string[] together = batched.GenerateMany(prompts, stops, 40);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(single.GenerateUntil(prompts[i], stops, 40), together[i]);
    }

    [SkippableFact]
    public void Rolling_windows_scored_in_batches_equal_one_at_a_time()
    {
        using LoadedModel m = Load();
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        string text = File.ReadAllText(Fixtures.Path_("data/text/tinystories_sample.txt"));
        using Scorer one = new(model, m.Tokenizer!, 64);
        using Scorer eight = new(model, m.Tokenizer!, 64, 8);
        Assert.True(one.RollingRequests(text).Count > 8);
        double a = one.LoglikelihoodRolling(text), b = eight.LoglikelihoodRolling(text);
        Assert.Equal(BitConverter.DoubleToInt64Bits(a), BitConverter.DoubleToInt64Bits(b));
        Assert.InRange(a - new NaiveHarness(m, 64).Rolling(text), -1e-4, 1e-4);
    }
}

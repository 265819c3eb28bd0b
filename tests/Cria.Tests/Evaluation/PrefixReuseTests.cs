using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Xunit.Abstractions;

namespace Cria.Tests.Evaluation;

/// <summary>Must-show 3: scoring with a shared KV prefix equals the naive computation bit for bit, and costs less.</summary>
public class PrefixReuseTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Forward_results_do_not_depend_on_how_the_tokens_are_split_into_calls()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"), loadTokenizer: false);
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        int vocab = m.Config.VocabSize, n = 90;
        int[] ids = [.. Enumerable.Range(0, n).Select(i => (i * 37 + 11) % vocab)];
        float[] whole = new float[n * vocab];
        using (KvCache c = model.CreateCache(n)) model.Forward(ids, c, whole, allLogits: true);
        float[] pieces = new float[n * vocab];
        using (KvCache c = model.CreateCache(n))
        {
            int at = 0;
            foreach (int len in new[] { 1, 7, 30, 2, 1, 49 })
            {
                model.Forward(ids.AsSpan(at, len), c, pieces.AsSpan(at * vocab, len * vocab), allLogits: true);
                at += len;
            }
            Assert.Equal(n, at);
        }
        for (int i = 0; i < whole.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(pieces[i]), $"logit {i} differs: {whole[i]} vs {pieces[i]}");
    }

    // stories260K's 512-piece vocabulary makes HellaSwag prompts ~4× longer in tokens than a 32k vocabulary does,
    // and its attention is slow at long positions: a few 1-shot rows keep every prompt whole in the 512-token window
    // (left truncation would give every choice a different window) and the naive run short.
    private const int Shots = 1, Rows = 3, Window = 512;

    [SkippableFact]
    public void Hellaswag_shared_prefix_equals_naive_bit_for_bit()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));
        PreparedTask task = PreparedTask.Prepare(TaskLoader.Load(HarnessAgreementTests.TaskFile("hellaswag")), null, Fixtures.Path_("data"), 1234, Shots, Rows)[0];
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        double[][] Run(bool reuse, out Scorer used)
        {
            Scorer s = new(model, m.Tokenizer!, Window) { ReusePrefix = reuse };
            double[][] r = [.. Enumerable.Range(0, task.Docs.Count).Select(i => task.Evaluate(i, s)["filtered_resps"]!.AsArray().Select(x => x![0]!.GetValue<double>()).ToArray())];
            used = s;
            return r;
        }
        double[][] shared = Run(true, out Scorer a);
        double[][] naive = Run(false, out Scorer b);
        using (a)
        using (b)
        {
            for (int d = 0; d < shared.Length; d++)
                for (int c = 0; c < shared[d].Length; c++)
                    Assert.True(BitConverter.DoubleToInt64Bits(shared[d][c]) == BitConverter.DoubleToInt64Bits(naive[d][c]), $"doc {d} choice {c}: {shared[d][c]:R} vs {naive[d][c]:R}");
            Assert.Equal(b.ForwardTokens, b.NaiveTokens);
            Assert.Equal(a.NaiveTokens, b.NaiveTokens);
            double fraction = (double)a.ForwardTokens / a.NaiveTokens;
            output.WriteLine($"HellaSwag {Shots}-shot, {Rows} rows: {a.ForwardTokens} of {a.NaiveTokens} forward tokens ({fraction:P1})");
            Assert.True(fraction <= 0.40, $"shared-prefix scoring computed {fraction:P1} of the naive tokens");
        }
    }
}

using Cria.Formats;
using Cria.Generation;
using Cria.Model;

namespace Cria.Tests.Model;

/// <summary>One batched decode step over several sequences equals each sequence's own Forward, bit for bit.</summary>
public class ForwardBatchTests
{
    [SkippableTheory]
    [InlineData("models/stories260K/stories260K.bin")]
    [InlineData("models/gguf/llama-2-tiny-random/llama-2-tiny-random.gguf")]
    public void Batched_logits_equal_per_sequence_forward_bit_for_bit(string relative)
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(relative), loadTokenizer: false);
        using LlamaModel batched = new(m);
        using LlamaModel single = new(m);
        int vocab = m.Config.VocabSize;
        const int Sequences = 6; // more than one register tile of tokens
        Random rng = new(7);
        KvCache[] a = new KvCache[Sequences], b = new KvCache[Sequences];
        float[] scratch = new float[vocab];
        int[] next = new int[Sequences];
        try
        {
            for (int s = 0; s < Sequences; s++)
            {
                a[s] = batched.CreateCache(64);
                b[s] = single.CreateCache(64);
                // Prompts of different lengths, so every sequence attends over its own number of positions.
                int[] prompt = Enumerable.Range(0, 1 + 3 * s).Select(_ => rng.Next(vocab)).ToArray();
                batched.Forward(prompt, a[s], scratch);
                single.Forward(prompt, b[s], scratch);
                next[s] = rng.Next(vocab);
            }
            float[] logits = new float[Sequences * vocab];
            for (int step = 0; step < 4; step++)
            {
                batched.ForwardBatch(next, a, logits);
                for (int s = 0; s < Sequences; s++)
                {
                    single.Forward([next[s]], b[s], scratch);
                    Assert.Equal(b[s].Length, a[s].Length);
                    int v = 0;
                    while (v < vocab && BitConverter.SingleToInt32Bits(scratch[v]) == BitConverter.SingleToInt32Bits(logits[s * vocab + v])) v++;
                    Assert.True(v == vocab, v == vocab ? "" : $"step {step} sequence {s} logit {v}: batched {logits[s * vocab + v]} vs single {scratch[v]}");
                    next[s] = Sampler.Argmax(logits.AsSpan(s * vocab, vocab));
                }
            }
        }
        finally
        {
            foreach (KvCache? c in a.Concat(b)) c?.Dispose();
        }
    }

    [SkippableFact]
    public void Rejects_mismatched_or_full_caches()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"), loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache c1 = model.CreateCache(2), c2 = model.CreateCache(2);
        float[] logits = new float[2 * m.Config.VocabSize];
        Assert.Throws<ArgumentException>(() => model.ForwardBatch([1, 2], [c1], logits));
        Assert.Throws<ArgumentException>(() => model.ForwardBatch([1, 2], [c1, c1], logits));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardBatch([1, -1], [c1, c2], logits));
        model.ForwardBatch([1, 2], [c1, c2], logits);
        model.ForwardBatch([1, 2], [c1, c2], logits);
        Assert.Throws<InvalidOperationException>(() => model.ForwardBatch([1, 2], [c1, c2], logits));
    }
}

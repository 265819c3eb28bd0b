using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>Must-show 6: training gives bit-identical weights whatever the thread count, and across runs.</summary>
public class DeterminismTests
{
    private static byte[] TrainTenSteps(int threads, bool attentionBias)
    {
        LlamaConfig c = new LlamaConfig
        {
            Dim = 48,
            HiddenDim = 128,
            Layers = 2,
            Heads = 6,
            KvHeads = 2,
            VocabSize = 97,
            MaxSeqLen = 64,
            TiedEmbeddings = false,
            AttentionBias = attentionBias,
        }.Normalize("test");
        TrainableLlama m = new(c);
        m.InitializeRandom(42);
        using WorkerPool pool = new(threads);
        using Trainer trainer = new(m, new TrainerOptions
        {
            Batch = 2,
            Seq = 24,
            GradAccum = 2,
            Schedule = new LrSchedule(3e-3f, 3e-4f, 3, 10, true),
            AdamW = new AdamWOptions { WeightDecay = 0.1f },
            Clip = 0.5f,
        }, pool);
        Random rng = new(3);
        int[] stream = Enumerable.Range(0, 2000).Select(_ => rng.Next(c.VocabSize)).ToArray();
        RandomWindows data = new(new TokenStream([stream]), 24, 11);
        for (int i = 0; i < 10; i++) trainer.Step(data);
        byte[] bytes = new byte[m.Parameters.Values.Length * sizeof(float)];
        Buffer.BlockCopy(m.Parameters.Values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneAndTwoThreadsGiveIdenticalWeights(bool attentionBias)
    {
        byte[] one = TrainTenSteps(1, attentionBias);
        byte[] two = TrainTenSteps(2, attentionBias);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(one)), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(two)));
    }
}

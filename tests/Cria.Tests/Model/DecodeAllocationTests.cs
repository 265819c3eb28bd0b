using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>After warm-up, a decode step allocates no managed memory on the calling thread (so no GC pauses while generating).</summary>
public class DecodeAllocationTests
{
    [Fact]
    public void Decode_steps_allocate_nothing_after_warm_up()
    {
        LlamaConfig c = new LlamaConfig
        {
            Dim = 64,
            HiddenDim = 96,
            Layers = 2,
            Heads = 4,
            KvHeads = 2,
            VocabSize = 128,
            MaxSeqLen = 64,
        }.Normalize("test");
        using LlamaWeights w = RandomModel.Create(c, seed: 3);
        using WorkerPool pool = new(2);
        using LlamaModel model = new(c, w) { Pool = pool };
        using KvCache cache = model.CreateCache();
        float[] logits = new float[c.VocabSize];
        int[] token = [5];
        for (int i = 0; i < 3; i++) model.Forward(token, cache, logits);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            token[0] = Sampler.Argmax(logits);
            model.Forward(token, cache, logits);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

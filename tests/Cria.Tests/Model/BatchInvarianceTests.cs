using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>
/// A prompt fed in one batch and the same prompt fed one token at a time must give the same logits bit for bit,
/// for every weight type (MatMul picks its kernel by weight type, never by batch size), so that batching, prefix
/// caching and parallel evaluation never change a result.
/// </summary>
public class BatchInvarianceTests
{
    private static readonly int[] Ids = [1, 403, 407, 261, 378, 432, 383, 286, 300, 301, 302];

    [SkippableTheory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    public void Prefill_logits_equal_token_by_token_logits(DType type)
    {
        string src = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        using TempDir d = new();
        string path = d.File($"stories260K-{type}.gguf");
        QuantizedGguf.Write(src, path, type);

        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: false);
        using LlamaModel model = new(m);
        int vocab = m.Config.VocabSize;
        float[] batch = new float[Ids.Length * vocab];
        using (KvCache cache = model.CreateCache()) model.Forward(Ids, cache, batch, allLogits: true);

        float[] single = new float[vocab];
        using KvCache step = model.CreateCache();
        for (int t = 0; t < Ids.Length; t++)
        {
            model.Forward(Ids.AsSpan(t, 1), step, single);
            for (int v = 0; v < vocab; v++)
                Assert.True(BitConverter.SingleToInt32Bits(batch[t * vocab + v]) == BitConverter.SingleToInt32Bits(single[v]),
                    $"{type}: token {t}, logit {v}: batch {batch[t * vocab + v]:R} vs one at a time {single[v]:R}");
        }
    }
}

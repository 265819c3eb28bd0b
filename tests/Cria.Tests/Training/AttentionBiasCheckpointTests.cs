using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>
/// Qwen2-style q/k/v biases survive a checkpoint: written as a Hugging Face folder and loaded back they give the
/// same parameters (q/k biases reordered like their rows for interleaved RoPE), and the inference engine computes
/// from the checkpoint the logits the training forward pass computed.
/// </summary>
public class AttentionBiasCheckpointTests
{
    [Theory]
    [InlineData(RopeLayout.Interleaved)]
    [InlineData(RopeLayout.Halves)]
    public void BiasesRoundTripAndInferenceMatchesTraining(RopeLayout layout)
    {
        LlamaConfig c = new LlamaConfig
        {
            Dim = 32,
            HiddenDim = 48,
            Layers = 2,
            Heads = 4,
            KvHeads = 2,
            VocabSize = 40,
            MaxSeqLen = 32,
            RopeLayout = layout,
            AttentionBias = true,
            NormEps = 1e-5f,
        }.Normalize("test");
        TrainableLlama m = new(c);
        m.InitializeRandom(9);
        Random rng = new(4);
        foreach (ParameterTensor t in m.Parameters.Tensors.Where(t => t.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            Span<float> v = m.Parameters.ValueSpan(t);
            for (int i = 0; i < v.Length; i++) v[i] = (float)(rng.NextDouble() - 0.5);
        }
        Assert.Equal(c.ParameterCount, m.Parameters.Tensors.Where(t => t != m.Output || !c.TiedEmbeddings).Sum(t => t.Elements));

        int[] tokens = [1, 7, 3, 22, 39, 5, 11, 0];
        using WorkerPool pool = new(2);
        using TrainingPass pass = new(m, 1, tokens.Length, pool);
        pass.Forward(tokens, tokens);
        float[] trained = pass.Logits.ToArray();

        using TempDir tmp = new();
        string dir = tmp.File("ckpt");
        CheckpointWriter.Write(m, dir, null, null);
        Assert.Contains("\"Qwen2ForCausalLM\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        using LoadedModel loaded = ModelLoader.Load(dir, loadTokenizer: false);
        Assert.True(loaded.Config.AttentionBias);
        Assert.Equal(m.Parameters.Values, TrainableLlama.FromLoaded(loaded, layout).Parameters.Values);

        using LlamaModel model = new(loaded);
        using KvCache cache = model.CreateCache(32);
        float[] inferred = new float[tokens.Length * c.VocabSize];
        model.Forward(tokens, cache, inferred, allLogits: true);
        double worst = trained.Zip(inferred, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4, $"max |training - inference| logit difference {worst:E2}");
    }
}

using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>
/// Must-show 2: the fp32 analytic gradient of every parameter tensor agrees with central differences of a
/// float64 reference loss, on tiny random models (GQA, both RoPE layouts, tied and untied output, Qwen2-style q/k/v biases).
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<RopeLayout, bool, int, bool> Shapes => new()
    {
        { RopeLayout.Interleaved, true, 2, false },
        { RopeLayout.Halves, false, 1, false },
        { RopeLayout.Halves, true, 2, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AnalyticGradientMatchesFiniteDifferences(RopeLayout layout, bool tied, int kvHeads, bool attentionBias)
    {
        LlamaConfig c = new LlamaConfig
        {
            Dim = 16,
            HiddenDim = 24,
            Layers = 2,
            Heads = 4,
            KvHeads = kvHeads,
            VocabSize = 13,
            MaxSeqLen = 16,
            RopeLayout = layout,
            TiedEmbeddings = tied,
            AttentionBias = attentionBias,
            NormEps = 1e-5f,
        }.Normalize("test");
        TrainableLlama m = new(c);
        Random rng = new(7);
        foreach (ParameterTensor t in m.Parameters.Tensors)
        {
            Span<float> v = m.Parameters.ValueSpan(t);
            for (int i = 0; i < v.Length; i++) v[i] = t.IsMatrix || t.Name.EndsWith(".bias", StringComparison.Ordinal) ? (float)(rng.NextDouble() * 2 - 1) * 0.5f : 1f + (float)(rng.NextDouble() - 0.5) * 0.4f;
        }
        const int B = 2, T = 4;
        int[] x = Enumerable.Range(0, B * T).Select(_ => rng.Next(c.VocabSize)).ToArray();
        int[] y = Enumerable.Range(0, B * T).Select(_ => rng.Next(c.VocabSize)).ToArray();

        using WorkerPool pool = new(2);
        using TrainingPass pass = new(m, B, T, pool);
        float loss = pass.Forward(x, y);
        m.Parameters.ZeroGradients();
        pass.Backward();

        double[] theta = m.Parameters.Values.Select(v => (double)v).ToArray();
        double refLoss = Float64Reference.Loss(m, theta, x, y, B, T);
        Assert.True(Math.Abs(loss - refLoss) < 1e-5, $"fp32 loss {loss} vs float64 {refLoss}");

        const double H = 1e-5;
        foreach (ParameterTensor t in m.Parameters.Tensors)
        {
            double errSq = 0, refSq = 0;
            // Up to 24 entries of each tensor, spread over it (every entry of the small ones).
            long stride = Math.Max(1, t.Elements / 24);
            for (long i = t.Offset; i < t.Offset + t.Elements; i += stride)
            {
                double keep = theta[i];
                theta[i] = keep + H;
                double plus = Float64Reference.Loss(m, theta, x, y, B, T);
                theta[i] = keep - H;
                double minus = Float64Reference.Loss(m, theta, x, y, B, T);
                theta[i] = keep;
                double fd = (plus - minus) / (2 * H);
                double analytic = m.Parameters.Gradients[i];
                Assert.True(Math.Abs(analytic - fd) <= 1e-5 + 1e-3 * Math.Abs(fd), $"{t.Name}[{i - t.Offset}]: analytic {analytic} vs finite difference {fd}");
                errSq += (analytic - fd) * (analytic - fd);
                refSq += fd * fd;
            }
            Assert.True(refSq > 0, $"{t.Name}: gradient is zero, the check would prove nothing");
            Assert.True(Math.Sqrt(errSq / refSq) < 1e-4, $"{t.Name}: relative error {Math.Sqrt(errSq / refSq):E2}");
        }
    }
}

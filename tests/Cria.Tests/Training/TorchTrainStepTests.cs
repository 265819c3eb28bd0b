using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>Must-show 1: stories260K trained 10 AdamW steps on one batch matches PyTorch (llama2.c model.py).</summary>
public class TorchTrainStepTests
{
    private static readonly TrainerOptions ReferenceOptions = new()
    {
        Batch = 4,
        Seq = 64,
        Schedule = LrSchedule.Constant(1e-3f),
        AdamW = new AdamWOptions { Beta1 = 0.9f, Beta2 = 0.99f, Eps = 1e-8f, WeightDecay = 0.01f },
        Clip = 1f,
    };

    [SkippableTheory]
    [InlineData("models/stories260K/stories260K.bin")]
    [InlineData("models/stories260K-hf")]
    public void InitialLossAndGradientNormsMatchPyTorch(string modelPath)
    {
        TorchReference r = TorchReference.Load();
        int[] stream = TorchReference.TokenStream();
        Assert.Equal(r.FirstRow, stream[..64]);
        using LoadedModel loaded = ModelLoader.Load(Fixtures.Path_(modelPath), loadTokenizer: false);
        TrainableLlama model = TrainableLlama.FromLoaded(loaded);
        using TrainingPass pass = new(model, 4, 64, WorkerPool.Shared);
        FixedBatch batch = new(stream, 4, 64);
        int[] x = new int[256], y = new int[256];
        batch.Next(x, y);
        float loss = pass.Forward(x, y);
        Assert.True(Math.Abs(loss - r.InitialLoss) <= 1e-5, $"initial loss {loss} vs PyTorch {r.InitialLoss}");
        model.Parameters.ZeroGradients();
        pass.Backward();
        Assert.Equal(r.GradNorms.Count, model.Parameters.Tensors.Count);
        foreach ((string name, float expected) in r.GradNorms)
        {
            float got = GradientClipping.Norm(model.Parameters, model.Parameters[TorchReference.CriaName(name)], WorkerPool.Shared);
            Assert.True(Math.Abs(got - expected) <= 1e-4 * expected, $"{name}: gradient norm {got} vs PyTorch {expected}");
        }
    }

    [SkippableFact]
    public void TenAdamWStepsMatchPyTorchLosses()
    {
        TorchReference r = TorchReference.Load();
        using LoadedModel loaded = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"), loadTokenizer: false);
        TrainableLlama model = TrainableLlama.FromLoaded(loaded);
        using Trainer trainer = new(model, ReferenceOptions);
        FixedBatch batch = new(TorchReference.TokenStream(), 4, 64);
        for (int step = 0; step < 10; step++)
        {
            StepResult s = trainer.Step(batch);
            Assert.True(Math.Abs(s.Loss - r.LossBefore[step]) <= 1e-4 * r.LossBefore[step], $"step {step}: loss {s.Loss} vs PyTorch {r.LossBefore[step]}");
            Assert.True(Math.Abs(s.GradNorm - r.NormBefore[step]) <= 1e-4 * r.NormBefore[step], $"step {step}: grad norm {s.GradNorm} vs PyTorch {r.NormBefore[step]}");
        }
    }
}

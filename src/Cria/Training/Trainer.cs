using Cria.Tensors;

namespace Cria.Training;

/// <summary>Settings of a training run that the step loop needs.</summary>
public sealed record TrainerOptions
{
    public int Batch { get; init; } = 4;
    public int Seq { get; init; } = 64;
    public int GradAccum { get; init; } = 1;
    public LrSchedule Schedule { get; init; } = LrSchedule.Constant(1e-3f);
    public AdamWOptions AdamW { get; init; } = new();

    /// <summary>Global grad-norm clip; 0 disables clipping.</summary>
    public float Clip { get; init; } = 1f;
}

/// <summary>What one optimizer step did.</summary>
public readonly record struct StepResult(int Step, float Loss, float Lr, float GradNorm, int Tokens);

/// <summary>
/// The step loop: zero gradients, forward/backward over <c>GradAccum</c> micro-batches (each scaled by
/// 1/GradAccum, so the gradient is that of the mean loss), clip by the global norm, AdamW update.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingPass _pass;
    private readonly WorkerPool _pool;
    private readonly int[] _inputs;
    private readonly int[] _targets;

    public TrainableLlama Model { get; }
    public TrainerOptions Options { get; }
    public AdamW Optimizer { get; }
    public TrainingPass Pass => _pass;

    /// <summary>Optimizer steps done.</summary>
    public int StepsDone => (int)Optimizer.Step;

    public Trainer(TrainableLlama model, TrainerOptions options, WorkerPool? pool = null)
    {
        if (options.GradAccum < 1) throw new ArgumentException($"grad-accum must be at least 1, got {options.GradAccum}");
        if (options.Seq > model.Config.MaxSeqLen)
            throw new ArgumentException($"--seq {options.Seq} exceeds the model's {model.Config.MaxSeqLen} positions");
        Model = model;
        Options = options;
        _pool = pool ?? WorkerPool.Shared;
        _pass = new TrainingPass(model, options.Batch, options.Seq, _pool);
        Optimizer = new AdamW(model.Parameters, options.AdamW);
        _inputs = new int[options.Batch * options.Seq];
        _targets = new int[options.Batch * options.Seq];
    }

    public StepResult Step(IBatchSource data)
    {
        ParameterSet ps = Model.Parameters;
        ps.ZeroGradients();
        double loss = 0;
        int accum = Options.GradAccum;
        for (int micro = 0; micro < accum; micro++)
        {
            data.Next(_inputs, _targets);
            loss += _pass.Forward(_inputs, _targets);
            _pass.Backward(1f / accum);
        }
        float norm = GradientClipping.Clip(ps, Options.Clip, _pool);
        int step = StepsDone;
        float lr = Options.Schedule.At(step);
        Optimizer.Update(lr, _pool);
        return new StepResult(step + 1, (float)(loss / accum), lr, norm, _inputs.Length * accum);
    }

    /// <summary>Mean loss over <paramref name="batches"/> batches without touching gradients.</summary>
    public float Evaluate(IBatchSource data, int batches)
    {
        double loss = 0;
        for (int i = 0; i < batches; i++)
        {
            data.Next(_inputs, _targets);
            loss += _pass.Forward(_inputs, _targets);
        }
        return (float)(loss / batches);
    }

    public void Dispose() => _pass.Dispose();
}

using System.Diagnostics;
using Cria.Cli.Commands;
using Cria.Text;
using Cria.Training;
using Spectre.Console;

namespace Cria.Cli.Demo;

/// <summary>What one demo training run did: first and last loss (mean of the first/last few steps), tokens/s, time.</summary>
public sealed record TrainingOutcome(string Dir, int Steps, long Parameters, double FirstLoss, double LastLoss, double TokensPerSecond, TimeSpan Elapsed);

/// <summary>
/// Trains a model in process with the library's <see cref="Trainer"/> (AdamW, warm-up + cosine decay, clipping),
/// on token shards written by <see cref="DataPreparer"/>, with a progress bar; writes a Hugging Face checkpoint
/// (config.json, model.safetensors, the tokenizer files, loss.png) atomically.
/// </summary>
public static class DemoTraining
{
    public static TokenDataset Prepare(ITokenizer tokenizer, IReadOnlyList<string> inputs, string dir) =>
        new DataPreparer { Tokenizer = tokenizer }.Prepare(inputs, dir);

    public static TrainingOutcome Train(string label, TrainableLlama model, TokenDataset data, DemoPlan plan, int steps, float lr, ulong seed,
        string tokenizerDir, ITokenizer tokenizer, string outDir)
    {
        TrainerOptions options = new()
        {
            Batch = plan.Batch,
            Seq = plan.Seq,
            Schedule = new LrSchedule(lr, lr / 10, Math.Max(1, steps / 10), steps, true),
            AdamW = new AdamWOptions { WeightDecay = 0.01f },
            Clip = 1f,
        };
        using Trainer trainer = new(model, options);
        using TokenStream train = data.OpenTrain();
        RandomWindows windows = new(train, plan.Seq, seed ^ 0xDA7AUL);
        List<(int Step, double Loss)> losses = new(steps);
        Stopwatch clock = Stopwatch.StartNew();
        long tokens = 0;
        CriaApp.Status.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask bar = ctx.AddTask($"training {label}", maxValue: steps);
                for (int i = 0; i < steps; i++)
                {
                    StepResult r = trainer.Step(windows);
                    if (!float.IsFinite(r.Loss)) throw new InvalidOperationException($"training {label}: the loss became {r.Loss} at step {r.Step}");
                    losses.Add((r.Step, r.Loss));
                    tokens += r.Tokens;
                    bar.Description = $"training {label} | loss {r.Loss:F3} | {tokens / clock.Elapsed.TotalSeconds:F0} tokens/s";
                    bar.Increment(1);
                }
            });
        TimeSpan elapsed = clock.Elapsed;
        CheckpointWriter.Write(model, outDir, tokenizerDir, tokenizer, dir => LossPlot.Write(Path.Combine(dir, "loss.png"), losses, []));
        int k = Math.Min(5, losses.Count);
        return new TrainingOutcome(outDir, steps, model.Config.ParameterCount,
            losses.Take(k).Average(l => l.Loss), losses.TakeLast(k).Average(l => l.Loss), tokens / elapsed.TotalSeconds, elapsed);
    }
}

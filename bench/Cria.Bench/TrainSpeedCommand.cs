using System.Diagnostics;
using System.Globalization;
using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Bench;

/// <summary>
/// Training throughput of Cria's trainer on a llama2.c shape with seeded init and random tokens:
/// tokens/s over timed steps (after warm-up steps), peak memory, and MFU = 6·params·tokens/s ÷ measured FMA peak.
/// </summary>
internal static class TrainSpeedCommand
{
    public static int Run(Options o)
    {
        string shape = o.String("shape", "15m")!;
        int vocab = o.Int("vocab", 32000), batch = o.Int("batch", 8), seq = o.Int("seq", 256), steps = o.Int("steps", 5), threads = o.Int("threads", 2, "t");
        LlamaConfig c = ModelShapes.Named(shape, vocab) ?? throw new ArgumentException($"--shape must be one of {string.Join(", ", ModelShapes.Names)}");
        using WorkerPool pool = new(threads);
        if (o.Flag("profile"))
        {
            TrainOpProfile.Run(pool);
            return 0;
        }
        TrainableLlama model = new(c);
        model.InitializeRandom(1);
        using Trainer trainer = new(model, new TrainerOptions { Batch = batch, Seq = seq, Schedule = LrSchedule.Constant(1e-4f) }, pool);
        Random rng = new(1);
        int[] tokens = Enumerable.Range(0, 1 << 20).Select(_ => rng.Next(vocab)).ToArray();
        RandomWindows data = new(new TokenStream([tokens]), seq, 7);
        trainer.Step(data);
        // Forward, backward and optimizer timed apart (same work as Trainer.Step with one micro-batch).
        int[] x = new int[batch * seq], y = new int[batch * seq];
        double fwd = 0, bwd = 0, opt = 0;
        Process self = Process.GetCurrentProcess();
        TimeSpan cpu0 = self.TotalProcessorTime;
        Stopwatch sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            model.Parameters.ZeroGradients();
            data.Next(x, y);
            trainer.Pass.Forward(x, y);
            long t1 = Stopwatch.GetTimestamp();
            trainer.Pass.Backward();
            long t2 = Stopwatch.GetTimestamp();
            GradientClipping.Clip(model.Parameters, 1f, pool);
            trainer.Optimizer.Update(1e-4f, pool);
            long t3 = Stopwatch.GetTimestamp();
            fwd += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            bwd += Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
            opt += Stopwatch.GetElapsedTime(t2, t3).TotalSeconds;
        }
        double tps = (double)steps * batch * seq / sw.Elapsed.TotalSeconds;
        self.Refresh();
        double cpu = (self.TotalProcessorTime - cpu0).TotalSeconds;
        // On a shared machine the wall clock counts other people's work too; CPU seconds per step do not.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU {cpu / steps:F2} s per step ({cpu / sw.Elapsed.TotalSeconds:F2} cores busy of {threads}), load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per step: forward {fwd / steps:F2} s, backward {bwd / steps:F2} s, clip+AdamW {opt / steps:F2} s"));
        double peak = FmaPeak.Measure(threads);
        double mfu = 6.0 * c.ParameterCount * tps / peak;
        Console.WriteLine(FmaPeak.Report(threads, peak));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cria train {shape} ({c.ParameterCount / 1e6:F1}M params, vocab {vocab}), batch {batch}×{seq}, {threads} threads: {tps:F0} tokens/s, " +
            $"peak memory {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB, FMA peak {peak / 1e9:F0} GFLOPS, MFU {mfu * 100:F1}%"));
        return 0;
    }
}

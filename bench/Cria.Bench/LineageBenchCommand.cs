using System.Diagnostics;
using Cria.Formats;
using Cria.Lineage;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// `lineage`: times <see cref="LineageAnalyzer.Compare"/> on a pair of model files (the issue's targets: under 10 s for
/// a pair of 110M models, under 60 s for a pair of 1.1B models, memory-mapped). Reports the phases, the process's
/// peak resident memory (mapped weight pages count there too) and the managed heap, and the load average, since the
/// machine may be shared.
/// </summary>
internal static class LineageBenchCommand
{
    public static int Run(Options o)
    {
        string a = o.Required("a"), b = o.Required("b");
        int threads = o.Int("threads", Environment.ProcessorCount, "t");
        int tokens = o.Int("tokens", 512);
        int nulls = o.Int("null-samples", 4);
        bool cosine = o.String("no-cosine") == null;
        o.RejectUnknown();
        WorkerPool.ConfigureShared(threads);

        Console.WriteLine($"load average before: {LoadAverage()}");
        long t0 = Stopwatch.GetTimestamp();
        using LoadedModel ma = ModelLoader.Load(a), mb = ModelLoader.Load(b);
        double load = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long heapBefore = GC.GetTotalMemory(true);
        Stopwatch clock = Stopwatch.StartNew();
        string last = "";
        double lastAt = 0;
        Dictionary<string, double> phases = new();
        Progress p = new(msg =>
        {
            string phase = msg.Split(':')[0];
            double now = clock.Elapsed.TotalSeconds;
            phases[last] = phases.GetValueOrDefault(last) + now - lastAt;
            (last, lastAt) = (phase, now);
        });
        LineageReport r = LineageAnalyzer.Compare(ma, mb, new LineageOptions { MaxTokens = tokens, NullSamples = nulls, TensorCosine = cosine }, p);
        double total = clock.Elapsed.TotalSeconds;
        phases[last] = phases.GetValueOrDefault(last) + total - lastAt;
        phases.Remove("");

        Console.WriteLine($"A {a} ({ma.Config.ParameterCount / 1e6:F0}M, {string.Join("+", ma.Weights.Matrices.Select(m => m.Type).Distinct())})");
        Console.WriteLine($"B {b} ({mb.Config.ParameterCount / 1e6:F0}M, {string.Join("+", mb.Weights.Matrices.Select(m => m.Type).Distinct())})");
        Console.WriteLine($"verdict {r.Verdict.ToString().ToLowerInvariant()}, score {r.Score:F4}, null {r.NullMean:F4} ± {r.NullStd:F4}, z {r.ZScore:F1}, {r.Tokens.Count} probe tokens, {threads} threads");
        Console.WriteLine($"load {load:F2} s, compare {total:F2} s: " + string.Join(", ", phases.Select(kv => $"{kv.Key} {kv.Value:F2} s")));
        using Process self = Process.GetCurrentProcess();
        Console.WriteLine($"peak resident {self.PeakWorkingSet64 / 1e6:F0} MB (weights mapped: {(ma.WeightBytes + mb.WeightBytes) / 1e6:F0} MB), managed heap now {GC.GetTotalMemory(false) / 1e6:F0} MB (before {heapBefore / 1e6:F0} MB)");
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private sealed class Progress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}

using System.Diagnostics;
using System.Globalization;
using Cria.Benchmarking;
using Cria.Formats;

namespace Cria.Bench;

/// <summary>
/// `load`: load time, time to the first token and resident memory of Cria and llama.cpp on the same GGUF files. Every
/// measurement is a fresh process (<see cref="LoadProbe"/>) so resident memory is one engine's alone; the engines
/// alternate, and the file is read once beforehand so both find it in the page cache.
/// </summary>
internal static class LoadCommand
{
    private static readonly string[] Engines = ["cria", "llama.cpp"];

    public static int Run(Options o)
    {
        string[] models = o.Required("models").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int reps = o.Int("r", 3, "reps");
        int threads = o.Int("t", 2, "threads");
        int ctx = o.Int("ctx", 512);
        o.RejectUnknown();
        foreach (string m in models)
            if (!File.Exists(m)) throw new ArgumentException($"{m}: no such file");

        string loadStart = ProcessMemory.LoadAverage() ?? "unknown";
        List<string> rows = new();
        foreach (string model in models)
        {
            WarmPageCache(model);
            var runs = Engines.ToDictionary(e => e, _ => new List<Dictionary<string, double>>());
            for (int r = 0; r < reps; r++)
            {
                // Alternate which engine goes first so a drifting machine load hits both alike.
                foreach (string engine in r % 2 == 0 ? Engines : Engines.Reverse())
                    runs[engine].Add(Probe(engine, model, ctx, threads));
            }
            rows.AddRange(Rows(model, ctx, runs));
        }

        Console.WriteLine($"load and first token, {reps} fresh processes per engine and model, {threads} threads, context {ctx} (F32 KV cache in both), " +
            $"{Environment.ProcessorCount} CPUs; weights in the page cache; load average {loadStart} at start, {ProcessMemory.LoadAverage() ?? "unknown"} at end");
        Console.WriteLine($"first token = load + one decode of BOS; resident = VmRSS, above = resident minus the process before loading; end = after {1 + LoadProbe.ExtraTokens} tokens");
        Console.WriteLine();
        Console.WriteLine("| model | engine | load ms | first token ms | resident after load MB | after first token MB | at end MB | above baseline MB | above ÷ (file + KV) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string row in rows) Console.WriteLine(row);
        return 0;
    }

    private static void WarmPageCache(string path)
    {
        byte[] buffer = new byte[1 << 20];
        using FileStream f = File.OpenRead(path);
        while (f.Read(buffer) > 0) { }
    }

    private static Dictionary<string, double> Probe(string engine, string model, int ctx, int threads)
    {
        string self = Environment.ProcessPath!;
        ProcessStartInfo psi = new(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(LoadCommand).Assembly.Location);
        foreach (string a in new[] { "load-probe", "--engine", engine, "--model", model, "--ctx", ctx.ToString(CultureInfo.InvariantCulture), "-t", threads.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string line = output.Split('\n').LastOrDefault(l => l.StartsWith("engine=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{engine} on {model} exited with {p.ExitCode}: {err.Result.Trim()}");
        return line.Split(' ').Skip(1).Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
    }

    private static IEnumerable<string> Rows(string model, int ctx, Dictionary<string, List<Dictionary<string, double>>> runs)
    {
        long file = new FileInfo(model).Length;
        long kv;
        using (GgufFile g = GgufFile.Open(model))
        {
            string arch = g.GetString("general.architecture") ?? "llama";
            long layers = g.GetInteger($"{arch}.block_count") ?? 0, dim = g.GetInteger($"{arch}.embedding_length") ?? 0;
            long heads = g.GetInteger($"{arch}.attention.head_count") ?? 1, kvHeads = g.GetInteger($"{arch}.attention.head_count_kv") ?? heads;
            kv = 2 * layers * ctx * (dim / heads * kvHeads) * sizeof(float);
        }
        string name = $"{Path.GetFileName(model)} ({file / 1e6:F0} MB + KV {kv / 1e6:F0} MB)";
        Summary S(string engine, string key, double scale = 1) => Summary.Of(runs[engine].Select(r => r[key] * scale).ToList());
        Summary Above(string engine) => Summary.Of(runs[engine].Select(r => (r["rss_end"] - r["rss_before"]) / 1e6).ToList());
        foreach (string e in Engines)
        {
            yield return $"| {name} | {e} | {S(e, "load_s", 1000)} | {S(e, "first_token_s", 1000)} | {S(e, "rss_load", 1e-6)} | {S(e, "rss_first", 1e-6)} | " +
                $"{S(e, "rss_end", 1e-6)} | {Above(e)} | {Above(e).Mean * 1e6 / (file + kv):F3} |";
        }
        yield return $"| {name} | Cria's load: weights mapped {S("cria", "weights_s", 1000).Mean:F0} ms, tokenizer {S("cria", "tokenizer_s", 1000).Mean:F0} ms, " +
            $"engine + KV cache {S("cria", "engine_s", 1000).Mean:F0} ms | | | | | | | |";
        string Ratio(Func<string, double> f) => (f("cria") / f("llama.cpp")).ToString("F2", CultureInfo.InvariantCulture);
        yield return $"| {name} | Cria / llama.cpp | {Ratio(e => S(e, "load_s").Mean)} | {Ratio(e => S(e, "first_token_s").Mean)} | {Ratio(e => S(e, "rss_load").Mean)} | " +
            $"{Ratio(e => S(e, "rss_first").Mean)} | {Ratio(e => S(e, "rss_end").Mean)} | {Ratio(e => Above(e).Mean)} | |";
    }
}

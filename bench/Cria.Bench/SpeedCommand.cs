using Cria.Formats;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// `speed`: prompt-processing and generation tokens/s of Cria, and optionally of llama.cpp on the same file,
/// with runs of the two alternated so drifting machine load hits both alike.
/// </summary>
internal static class SpeedCommand
{
    // Lets the other engine's idle threads (llama.cpp's OpenMP workers spin for a while) go quiet before timing.
    private const int SettleMilliseconds = 50;

    public static int Run(Options o)
    {
        string path = o.Required("model");
        int p = o.Int("p", 128, "prompt");
        int n = o.Int("n", 64, "gen");
        int reps = o.Int("r", 3, "reps");
        int threads = o.Int("t", 2, "threads");
        bool peer = o.Flag("peer");
        bool breakdown = o.Flag("breakdown");
        o.RejectUnknown();

        string load = LoadAverage();
        WorkerPool.ConfigureShared(threads);
        LoadedModel loaded = ModelLoader.Load(path, loadTokenizer: false);
        LlamaConfig c = loaded.Config;
        long bytesPerToken = WeightBytesPerToken(loaded.Weights);
        (int[] prompt, int[] gen) = Tokens(c.VocabSize, p, n);

        List<ISpeedSubject> subjects = [];
        string? peerNote = null;
        try
        {
            CriaSubject cria = new(loaded, p + n);
            subjects.Add(cria);
            if (peer) peerNote = AddPeer(subjects, path, loaded.Format, p + n, p, threads);

            foreach (ISpeedSubject s in subjects) WarmUp(s, prompt, gen);
            string? agreement = subjects.Count == 2 ? Agreement(subjects[0], subjects[1], prompt) : null;
            var pp = subjects.ToDictionary(s => s, _ => new List<double>());
            var tg = subjects.ToDictionary(s => s, _ => new List<double>());
            for (int r = 0; r < reps; r++)
            {
                foreach (ISpeedSubject s in subjects)
                {
                    (double pps, double tgs) = RunOnce(s, prompt, gen);
                    pp[s].Add(p / pps);
                    tg[s].Add(n / tgs);
                }
            }

            double bandwidth = MemoryBandwidth.Measure(WorkerPool.Shared);
            Report(path, loaded, bytesPerToken, bandwidth, p, n, reps, threads, load, subjects, pp, tg, peerNote ?? agreement);
            (double allocated, int collections) = cria.DecodeAllocation(prompt, gen);
            Console.WriteLine($"Cria managed allocation while decoding (after the first token): {allocated:F0} bytes per token on the calling thread; {collections} gen-0 collections over {n - 1} tokens");
            if (breakdown) MatMulShare.Report(cria, loaded.Weights, p, reps, Summary.Of(pp[cria]).Mean, Summary.Of(tg[cria]).Mean);
        }
        finally
        {
            foreach (ISpeedSubject s in subjects) s.Dispose();
            if (subjects.Count == 0) loaded.Dispose();
        }
        return 0;
    }

    private static string? AddPeer(List<ISpeedSubject> subjects, string path, string format, int context, int prompt, int threads)
    {
        if (format != "gguf") return "llama.cpp: not run (it reads only GGUF files)";
        if (LlamaCppLibrary.Unavailable is string why) return $"llama.cpp: not run ({why})";
        try
        {
            subjects.Add(new LlamaCppSubject(path, context, Math.Min(prompt, 512), threads));
            return null;
        }
        catch (Exception e)
        {
            return $"llama.cpp: not run (it could not load the model: {e.Message})";
        }
    }

    /// <summary>
    /// Runs until the JIT has had time to recompile Cria's hot loops at full optimization (tiered compilation
    /// starts with quick code) and llama.cpp has touched all its buffers: at least 2 runs and 1 second.
    /// </summary>
    private static void WarmUp(ISpeedSubject s, int[] prompt, int[] gen)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 2 || System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds < 1; i++) RunOnce(s, prompt, gen);
    }

    private static (double Prefill, double Generate) RunOnce(ISpeedSubject s, int[] prompt, int[] gen)
    {
        Thread.Sleep(SettleMilliseconds);
        double pp = s.Prefill(prompt);
        Thread.Sleep(SettleMilliseconds);
        double tg = s.Generate(gen, prompt.Length);
        return (pp, tg);
    }

    /// <summary>Both engines must compute the same function for the speeds to be comparable.</summary>
    private static string Agreement(ISpeedSubject a, ISpeedSubject b, int[] prompt)
    {
        a.Prefill(prompt);
        b.Prefill(prompt);
        float[] x = a.LastLogits(), y = b.LastLogits();
        double diff = x.Zip(y, (u, v) => Math.Abs((double)u - v)).Max();
        double scale = y.Max(v => Math.Abs((double)v));
        return $"logits after the prompt: max |{a.Name} - {b.Name}| = {diff:E2} (max |logit| {scale:F3})";
    }

    /// <summary>BOS, then fixed pseudo-random ids: both engines see exactly the same sequence.</summary>
    private static (int[] Prompt, int[] Gen) Tokens(int vocab, int p, int n)
    {
        Random rng = new(1234);
        int[] prompt = new int[p];
        prompt[0] = Math.Min(1, vocab - 1);
        for (int i = 1; i < p; i++) prompt[i] = rng.Next(Math.Min(3, vocab - 1), vocab);
        int[] gen = new int[n];
        for (int i = 0; i < n; i++) gen[i] = rng.Next(Math.Min(3, vocab - 1), vocab);
        return (prompt, gen);
    }

    /// <summary>Weights one decoding step reads: every layer matrix, the output matrix and one embedding row.</summary>
    private static long WeightBytesPerToken(LlamaWeights w)
    {
        long bytes = w.Output.ByteLength + w.TokenEmbedding.RowBytes;
        foreach (LayerWeights l in w.Layers)
        {
            bytes += l.Matrices.Sum(m => m.ByteLength);
            bytes += (l.AttnNorm.Length + l.FfnNorm.Length) * sizeof(float);
        }
        return bytes;
    }

    /// <summary>Other processes' load skews every number here, so the report says what it was.</summary>
    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    private static void Report(string path, LoadedModel m, long bytesPerToken, double bandwidth, int p, int n, int reps, int threads, string load,
        List<ISpeedSubject> subjects, Dictionary<ISpeedSubject, List<double>> pp, Dictionary<ISpeedSubject, List<double>> tg, string? peerNote)
    {
        LlamaConfig c = m.Config;
        string types = string.Join(", ", m.Weights.Matrices.GroupBy(x => x.Type).Select(g => $"{g.Count()}×{g.Key}"));
        Console.WriteLine($"model: {Path.GetFileName(path)} ({m.Format}; dim {c.Dim}, {c.Layers} layers, {c.Heads}/{c.KvHeads} heads, ffn {c.HiddenDim}, vocab {c.VocabSize}; {c.ParameterCount / 1e6:F2} M parameters; matrices {types})");
        Console.WriteLine($"threads {threads}, prompt {p} tokens in one batch, {n} generated one at a time, {reps} repetitions after a warm-up, {Environment.ProcessorCount} CPUs, load average at start {load}");
        Console.WriteLine($"weights read per generated token: {bytesPerToken / 1e6:F2} MB; memory read bandwidth (sum over 1 GiB, {threads} threads, best of 3): {bandwidth / 1e9:F1} GB/s");
        if (peerNote != null) Console.WriteLine(peerNote);
        Console.WriteLine();
        Console.WriteLine($"| engine | pp{p} tokens/s | tg{n} tokens/s | tg weight traffic GB/s | of bandwidth |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (ISpeedSubject s in subjects)
        {
            Summary ppS = Summary.Of(pp[s]), tgS = Summary.Of(tg[s]);
            double traffic = tgS.Mean * bytesPerToken;
            Console.WriteLine($"| {s.Name} | {ppS} | {tgS} | {traffic / 1e9:F1} | {traffic / bandwidth:P0} |");
        }
        if (subjects.Count == 2)
        {
            double ppRatio = Summary.Of(pp[subjects[0]]).Mean / Summary.Of(pp[subjects[1]]).Mean;
            double tgRatio = Summary.Of(tg[subjects[0]]).Mean / Summary.Of(tg[subjects[1]]).Mean;
            Console.WriteLine($"| Cria / llama.cpp | {ppRatio:F2} | {tgRatio:F2} | | |");
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Cria.Benchmarking;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Cria.Bench;

/// <summary>
/// `load-probe` (run by `load` in a fresh process per measurement, so resident memory belongs to one engine): opens a
/// model with one engine, times the load and the first token (BOS), generates a few more tokens, and prints one line
/// of key=value figures with the process's resident memory before loading, after loading, after the first token and
/// at the end.
/// </summary>
internal static class LoadProbe
{
    public const int ExtraTokens = 7;

    public static int Run(Options o)
    {
        string engine = o.Required("engine");
        string path = o.Required("model");
        int ctx = o.Int("ctx", 512);
        int threads = o.Int("t", 2, "threads");
        o.RejectUnknown();

        // Both engines' code is loaded before the baseline, so the baseline is the .NET process itself.
        WorkerPool.ConfigureShared(threads);
        if (engine == "llama.cpp" && LlamaCppLibrary.Unavailable is string why) throw new ArgumentException($"llama.cpp unavailable: {why}");
        ProcessMemory before = ProcessMemory.Read() ?? throw new ArgumentException("/proc/self/status is not readable here");

        long start = Stopwatch.GetTimestamp();
        using IProbeEngine e = engine switch
        {
            "cria" => new CriaEngine(path, ctx),
            "llama.cpp" => new LlamaCppEngine(path, ctx, threads),
            _ => throw new ArgumentException($"--engine must be cria or llama.cpp, not '{engine}'"),
        };
        double load = Stopwatch.GetElapsedTime(start).TotalSeconds;
        ProcessMemory afterLoad = ProcessMemory.Read()!.Value;

        e.Decode(1, 0);
        double firstToken = Stopwatch.GetElapsedTime(start).TotalSeconds;
        ProcessMemory afterFirst = ProcessMemory.Read()!.Value;
        for (int i = 1; i <= ExtraTokens; i++) e.Decode(100 + i, i);
        ProcessMemory end = ProcessMemory.Read()!.Value;

        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        Console.WriteLine($"engine={engine} load_s={F(load)} first_token_s={F(firstToken)} rss_before={before.Resident} rss_load={afterLoad.Resident} " +
            $"rss_first={afterFirst.Resident} rss_end={end.Resident} anon_end={end.Anonymous} file_end={end.File} peak={end.Peak}" +
            (e is CriaEngine c ? $" weights_s={F(c.Breakdown.Weights)} tokenizer_s={F(c.Breakdown.Tokenizer)} engine_s={F(c.Breakdown.Engine)}" : ""));
        return 0;
    }

    private interface IProbeEngine : IDisposable
    {
        void Decode(int token, int position);
    }

    private sealed class CriaEngine : IProbeEngine
    {
        private readonly LoadedModel _loaded;
        private readonly LlamaModel _model;
        private readonly KvCache _cache;
        private readonly float[] _logits;

        /// <summary>Seconds spent mapping the weights, reading the tokenizer, and creating the engine and its cache.</summary>
        public (double Weights, double Tokenizer, double Engine) Breakdown { get; }

        public CriaEngine(string path, int ctx)
        {
            // As `cria generate` opens a model: weights mapped, tokenizer read, engine buffers and KV cache allocated;
            // in three steps so the report can say where load time goes.
            long t0 = Stopwatch.GetTimestamp();
            _loaded = ModelLoader.Load(path, loadTokenizer: false);
            long t1 = Stopwatch.GetTimestamp();
            _loaded.Tokenizer = TokenizerLoader.Load(path, _loaded.Config.VocabSize);
            long t2 = Stopwatch.GetTimestamp();
            _model = new LlamaModel(_loaded);
            _cache = _model.CreateCache(ctx);
            _logits = new float[_loaded.Config.VocabSize];
            Breakdown = (Stopwatch.GetElapsedTime(t0, t1).TotalSeconds, Stopwatch.GetElapsedTime(t1, t2).TotalSeconds, Stopwatch.GetElapsedTime(t2).TotalSeconds);
        }

        public void Decode(int token, int position) => _model.Forward([token], _cache, _logits);

        public void Dispose()
        {
            _cache.Dispose();
            _model.Dispose();
            _loaded.Dispose();
        }
    }

    private sealed class LlamaCppEngine : IProbeEngine
    {
        private readonly LLamaWeights _weights;
        private readonly LLamaContext _context;
        private readonly LLamaBatch _batch = new();

        public LlamaCppEngine(string path, int ctx, int threads)
        {
            // Its defaults (memory-mapped weights) with the F32 KV cache Cria uses, so the caches are the same size.
            ModelParams p = LlamaCppParams.Create(path, ctx, threads);
            _weights = LLamaWeights.LoadFromFile(p);
            _context = _weights.CreateContext(p);
        }

        public void Decode(int token, int position)
        {
            _batch.Clear();
            _batch.Add(token, position, LLamaSeqId.Zero, true);
            DecodeResult r = _context.NativeHandle.Decode(_batch);
            if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {r}");
            _context.NativeHandle.Synchronize();
        }

        public void Dispose()
        {
            _context.Dispose();
            _weights.Dispose();
        }
    }
}

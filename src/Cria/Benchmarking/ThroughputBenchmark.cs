using System.Diagnostics;
using Cria.Generation;
using Cria.Model;

namespace Cria.Benchmarking;

/// <summary>
/// Measures prompt processing (pp) and generation (tg) speed the way llama-bench does: the same seeded token ids every
/// run (BOS, then random ids), the cache emptied before each run, a warm-up before the timed repetitions.
/// </summary>
public sealed class ThroughputBenchmark
{
    // The JIT starts with quick code and recompiles hot loops at full optimization after a number of calls and a
    // short delay, so warm-up continues (up to this many rounds) until this much time has gone by.
    private const double WarmUpSeconds = 1.0;
    private const int MaxWarmUpRounds = 10;

    private readonly LlamaModel _model;
    private readonly KvCache _cache;
    private readonly float[] _logits;
    private readonly int[] _one = new int[1];
    private readonly int _bos;

    /// <param name="cache">Must hold at least as many positions as the longest test.</param>
    /// <param name="bosId">The first token of every run (negative: a random id instead).</param>
    public ThroughputBenchmark(LlamaModel model, KvCache cache, int bosId)
    {
        _model = model;
        _cache = cache;
        _logits = new float[model.Config.VocabSize];
        _bos = bosId;
    }

    /// <summary>Seeded ids: <paramref name="bos"/> first when it is a valid id, then uniformly random ids.</summary>
    public static int[] Tokens(int vocab, int count, int bos, int seed = 1234)
    {
        Random rng = new(seed);
        int[] ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = rng.Next(vocab);
        if (count > 0 && bos >= 0 && bos < vocab) ids[0] = bos;
        return ids;
    }

    /// <summary>Runs one untimed round of each test until the warm-up time has passed (at most a few rounds).</summary>
    public void WarmUp(int promptTokens, int generatedTokens)
    {
        long start = Stopwatch.GetTimestamp();
        for (int round = 0; round < MaxWarmUpRounds; round++)
        {
            if (promptTokens > 0) RunPrompt(promptTokens);
            if (generatedTokens > 0) RunGeneration(generatedTokens);
            if (Stopwatch.GetElapsedTime(start).TotalSeconds >= WarmUpSeconds) break;
        }
    }

    /// <param name="progress">Called before each repetition with (repetition, repetitions).</param>
    public ThroughputTest Prompt(int tokens, int repetitions, Action<int, int>? progress = null) =>
        Repeat($"pp{tokens}", tokens, 0, repetitions, () => RunPrompt(tokens), progress);

    public ThroughputTest Generation(int tokens, int repetitions, Action<int, int>? progress = null) =>
        Repeat($"tg{tokens}", 0, tokens, repetitions, () => RunGeneration(tokens), progress);

    private static ThroughputTest Repeat(string name, int p, int n, int repetitions, Func<double> run, Action<int, int>? progress)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        double[] rates = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            progress?.Invoke(r, repetitions);
            rates[r] = (p + n) / run();
        }
        return new ThroughputTest(name, p, n, rates);
    }

    /// <summary>Seconds to feed the prompt in one batch into an empty cache.</summary>
    private double RunPrompt(int tokens)
    {
        int[] ids = Tokens(_model.Config.VocabSize, tokens, _bos);
        _cache.Truncate(0);
        long start = Stopwatch.GetTimestamp();
        _model.Forward(ids, _cache, _logits);
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Seconds to feed the tokens one at a time into an empty cache (logits of each, as sampling needs).</summary>
    private double RunGeneration(int tokens)
    {
        int[] ids = Tokens(_model.Config.VocabSize, tokens, _bos, seed: 4321);
        _cache.Truncate(0);
        long start = Stopwatch.GetTimestamp();
        foreach (int id in ids)
        {
            _one[0] = id;
            _model.Forward(_one, _cache, _logits);
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}

using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Cria.Bench;

/// <summary>
/// llama.cpp through LLamaSharp's low-level API: one batch decode for the prompt, then one decode per token,
/// with an F32 KV cache and no flash attention so it does the same arithmetic as Cria.
/// </summary>
internal sealed class LlamaCppSubject : ISpeedSubject
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();

    public LlamaCppSubject(string path, int context, int batch, int threads)
    {
        ModelParams p = LlamaCppParams.Create(path, context, threads, batch);
        _weights = LLamaWeights.LoadFromFile(p);
        try
        {
            _context = _weights.CreateContext(p);
        }
        catch
        {
            _weights.Dispose();
            throw;
        }
    }

    public string Name => "llama.cpp";

    public double Prefill(int[] prompt)
    {
        _context.NativeHandle.MemoryClear(true);
        _batch.Clear();
        for (int i = 0; i < prompt.Length; i++) _batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Length - 1);
        long start = Stopwatch.GetTimestamp();
        Decode();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public double Generate(int[] tokens, int firstPosition)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < tokens.Length; i++)
        {
            _batch.Clear();
            _batch.Add(tokens[i], firstPosition + i, LLamaSeqId.Zero, true);
            Decode();
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public float[] LastLogits() => _context.NativeHandle.GetLogitsIth(_batch.TokenCount - 1).ToArray();

    private void Decode()
    {
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

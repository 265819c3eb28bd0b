using LLama.Common;
using LLama.Native;

namespace Cria.Bench;

/// <summary>
/// llama.cpp's settings for every comparison: CPU only, the given threads for both phases, and an F32 KV cache without
/// flash attention, so its cache is the size of Cria's and its logits match run.c's (see the fixtures' peer notes).
/// </summary>
internal static class LlamaCppParams
{
    public static ModelParams Create(string path, int context, int threads, int? batch = null)
    {
        ModelParams p = new(path)
        {
            ContextSize = (uint)context,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
            FlashAttention = false,
        };
        if (batch is int b)
        {
            p.BatchSize = (uint)b;
            p.UBatchSize = (uint)b;
        }
        return p;
    }
}

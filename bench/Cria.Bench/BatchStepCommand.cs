using System.Diagnostics;
using System.Globalization;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// `batch-step`: CPU time of one decode step for B sequences at a given context position — `Forward` for
/// B = 1, `ForwardBatch` otherwise — to show what batching saves per token and where attention takes over.
/// </summary>
internal static class BatchStepCommand
{
    public static int Run(Options o)
    {
        string path = o.Required("model");
        int[] positions = Ints(o.String("positions", "8,150")!);
        int[] batches = Ints(o.String("batches", "1,4,16")!);
        int steps = o.Int("steps", 200);
        WorkerPool.ConfigureShared(o.Int("threads", 1));
        o.RejectUnknown();

        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: false);
        using LlamaModel model = new(m);
        int vocab = m.Config.VocabSize;
        Console.WriteLine($"{Path.GetFileName(path)}, {WorkerPool.Shared.Threads} thread(s), {steps} steps each");
        foreach (int pos in positions)
            foreach (int b in batches)
            {
                KvCache[] caches = Enumerable.Range(0, b).Select(_ => model.CreateCache(pos + 1)).ToArray();
                float[] logits = new float[b * vocab];
                int[] prompt = Enumerable.Range(0, pos).Select(i => 1 + i % (vocab - 1)).ToArray();
                foreach (KvCache c in caches) model.Forward(prompt, c, logits);
                int[] tokens = Enumerable.Repeat(5 % vocab, b).ToArray();
                TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                Stopwatch sw = Stopwatch.StartNew();
                for (int r = 0; r < steps; r++)
                {
                    foreach (KvCache c in caches) c.Truncate(pos);
                    if (b == 1) model.Forward(tokens, caches[0], logits);
                    else model.ForwardBatch(tokens, caches, logits);
                }
                double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / steps;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"position {pos,5}  batch {b,3}: {cpu * 1e3,8:F3} ms CPU a step, {cpu / b * 1e6,8:F1} µs CPU a token (wall {sw.Elapsed.TotalMilliseconds / steps:F3} ms a step)"));
                foreach (KvCache c in caches) c.Dispose();
            }
        return 0;
    }

    private static int[] Ints(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"'{s}' is not a positive integer")).ToArray();
}

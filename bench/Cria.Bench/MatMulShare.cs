using System.Diagnostics;
using System.Runtime.InteropServices;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// Times Cria's matrix multiplications alone, with the shapes one forward pass uses, to show how much of a
/// forward pass they take; the rest is attention, norms, RoPE and element-wise work.
/// </summary>
internal static unsafe class MatMulShare
{
    public static void Report(CriaSubject cria, LlamaWeights w, int p, int reps, double ppRate, double tgRate)
    {
        double pp = Mean(w, p, reps, cria.Model.MaxBatch);
        double tg = Mean(w, 1, reps, cria.Model.MaxBatch);
        double ppForward = p / ppRate, tgForward = 1 / tgRate;
        Console.WriteLine();
        Console.WriteLine($"Cria matmul share: prefill {pp * 1e3:F1} of {ppForward * 1e3:F1} ms ({pp / ppForward:P0}); " +
            $"one generated token {tg * 1e3:F2} of {tgForward * 1e3:F2} ms ({tg / tgForward:P0})");
    }

    private static double Mean(LlamaWeights w, int tokens, int reps, int maxBatch)
    {
        int chunk = Math.Min(tokens, maxBatch);
        List<WeightTensor> layerMatrices = w.Layers.SelectMany(l => l.Matrices).ToList();
        long maxCols = layerMatrices.Append(w.Output).Max(m => m.Cols);
        long maxRows = layerMatrices.Append(w.Output).Max(m => m.Rows);
        float* x = (float*)NativeMemory.AlignedAlloc((nuint)(chunk * maxCols * sizeof(float)), 64);
        float* y = (float*)NativeMemory.AlignedAlloc((nuint)(chunk * maxRows * sizeof(float)), 64);
        try
        {
            Random rng = new(7);
            for (long i = 0; i < chunk * maxCols; i++) x[i] = (float)(rng.NextDouble() - 0.5);
            double total = 0;
            // Pass 0 warms the caches and is not counted, as the forward passes had a warm-up too.
            for (int r = 0; r <= reps; r++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int done = 0; done < tokens; done += chunk)
                {
                    int t = Math.Min(chunk, tokens - done);
                    foreach (WeightTensor m in layerMatrices) MatMul.Forward(m, x, t, y);
                }
                // Only the last token's logits are computed, in prefill as in decoding.
                MatMul.Forward(w.Output, x, 1, y);
                double s = Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (r > 0) total += s;
            }
            return total / reps;
        }
        finally
        {
            NativeMemory.AlignedFree(x);
            NativeMemory.AlignedFree(y);
        }
    }
}

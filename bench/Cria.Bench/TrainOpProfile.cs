using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Bench;

/// <summary>Times the heaviest training ops alone at the 15M shape (for finding where a step's time goes).</summary>
internal static unsafe class TrainOpProfile
{
    public static void Run(WorkerPool pool)
    {
        const int n = 2048, d = 288, v = 32000;
        float* x = Alloc((long)n * d), w = Alloc((long)v * d), y = Alloc((long)n * v);
        using Workspace ws = new();
        Time("logits forward 2048x288 -> 32000", () => LinearOp.Forward(pool, x, n, d, w, v, y), 2.0 * n * d * v);
        Time("logits dW", () => LinearOp.BackwardWeight(pool, ws, y, x, n, v, d, w), 2.0 * n * d * v);
        Time("logits dx", () => LinearOp.BackwardInput(pool, ws, y, n, w, v, d, x), 2.0 * n * d * v);
        float[] losses = new float[n];
        int[] targets = new int[n];
        Time("cross-entropy forward", () => CrossEntropyOp.Forward(pool, y, targets, v, losses), 0);
        AttentionOp.Shape s = new(8, 256, 6, 6, 48);
        float* q = Alloc((long)n * d), k = Alloc((long)n * d), vv = Alloc((long)n * d), p = Alloc(8L * 6 * 256 * 256), o = Alloc((long)n * d);
        Time("attention forward (1 layer)", () => AttentionOp.Forward(pool, s, q, k, vv, p, o), 0);
        Time("attention backward (1 layer)", () => AttentionOp.Backward(pool, s, q, k, vv, p, o, x, k, vv), 0);
    }

    private static float* Alloc(long n)
    {
        float* p = (float*)NativeMemory.AlignedAlloc((nuint)(n * 4), 64);
        new Span<float>(p, (int)n).Fill(0.01f);
        return p;
    }

    private static void Time(string name, Action a, double flops)
    {
        a();
        Stopwatch sw = Stopwatch.StartNew();
        a();
        double s = sw.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {s * 1000:F0} ms{(flops > 0 ? $", {flops / s / 1e9:F0} GFLOPS" : "")}"));
    }
}

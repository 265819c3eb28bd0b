using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Bench;

/// <summary>Times the heaviest training ops alone at the 15M and 110M shapes (for finding where a step's time goes).</summary>
internal static unsafe class TrainOpProfile
{
    public static void Run(WorkerPool pool)
    {
        KernelAlone();
        foreach ((string name, int n, int d, int hid, int heads) in new[] { ("15m", 2048, 288, 768, 6), ("110m", 1024, 768, 2048, 12) })
        {
            const int v = 32000;
            Console.WriteLine($"== {name}: {n} tokens, dim {d}, hidden {hid}");
            float* x = Alloc((long)n * d), w = Alloc((long)v * d), y = Alloc((long)n * v), h = Alloc((long)n * hid), wh = Alloc((long)hid * d);
            Time("logits forward (NT)", () => LinearOp.Forward(pool, x, n, d, w, v, y), 2.0 * n * d * v);
            Time("logits dW (TN)", () => LinearOp.BackwardWeight(pool, y, x, n, v, d, w), 2.0 * n * d * v);
            Time("logits dx (NN)", () => LinearOp.BackwardInput(pool, y, n, w, v, d, x), 2.0 * n * d * v);
            Time("ffn up forward (NT)", () => LinearOp.Forward(pool, x, n, d, wh, hid, h), 2.0 * n * d * hid);
            Time("ffn down dW (TN)", () => LinearOp.BackwardWeight(pool, x, h, n, d, hid, wh), 2.0 * n * d * hid);
            Time("ffn down dx (NN)", () => LinearOp.BackwardInput(pool, x, n, wh, d, hid, h), 2.0 * n * d * hid);
            Time("attention q forward (NT, dim x dim)", () => LinearOp.Forward(pool, x, n, d, wh, d, y), 2.0 * n * d * d);
            Time("attention q dW (TN, dim x dim)", () => LinearOp.BackwardWeight(pool, x, y, n, d, d, wh), 2.0 * n * d * d);
            float[] losses = new float[n];
            int[] targets = new int[n];
            Time("cross-entropy forward", () => CrossEntropyOp.Forward(pool, y, targets, v, losses), 0);
            AttentionOp.Shape s = new(n / 256, 256, heads, heads, d / heads);
            float* q = Alloc((long)n * d), k = Alloc((long)n * d), vv = Alloc((long)n * d), p = Alloc((long)n / 256 * heads * 256 * 256), o = Alloc((long)n * d);
            Time("attention forward (1 layer)", () => AttentionOp.Forward(pool, s, q, k, vv, p, o), 0);
            Time("attention backward (1 layer)", () => AttentionOp.Backward(pool, s, q, k, vv, p, o, x, k, vv), 0);
            foreach (nint ptr in new[] { (nint)x, (nint)w, (nint)y, (nint)h, (nint)wh, (nint)q, (nint)k, (nint)vv, (nint)p, (nint)o }) NativeMemory.AlignedFree((void*)ptr);
        }
    }

    /// <summary>The AVX-512 micro-kernel on packed slivers that stay in cache: its ceiling without packing or threads.</summary>
    private static void KernelAlone()
    {
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;
        const int kc = 256, slivers = 12;
        float* a = Alloc((long)slivers * GemmKernels.Mr512 * kc), b = Alloc((long)kc * GemmKernels.Nr512), c = Alloc(slivers * GemmKernels.Mr512 * GemmKernels.Nr512);
        Time("micro-kernel 14x32, kc 256, A 12 slivers, B 1 sliver (1 thread)", () =>
        {
            for (int r = 0; r < 100; r++)
                for (int s = 0; s < slivers; s++)
                    GemmKernels.Kernel512(a + s * GemmKernels.Mr512 * kc, b, kc, c + s * GemmKernels.Mr512 * GemmKernels.Nr512, GemmKernels.Nr512, true);
        }, 2.0 * 100 * slivers * GemmKernels.Mr512 * GemmKernels.Nr512 * kc);
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        NativeMemory.AlignedFree(c);
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
        // Wall time, and the process's CPU time per call: on a shared machine the second shows what the code
        // does with the cycles it gets.
        double best = double.MaxValue, cpu = double.MaxValue;
        Process self = Process.GetCurrentProcess();
        for (int r = 0; r < 15; r++)
        {
            self.Refresh();
            TimeSpan c0 = self.TotalProcessorTime;
            Stopwatch sw = Stopwatch.StartNew();
            a();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
            self.Refresh();
            cpu = Math.Min(cpu, (self.TotalProcessorTime - c0).TotalSeconds);
        }
        string rate = flops > 0 ? $", {flops / best / 1e9:F0} GFLOPS, {flops / cpu / 1e9:F0} GFLOPS per CPU-second" : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {best * 1000:F1} ms (CPU {cpu * 1000:F1} ms){rate}"));
    }
}

using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Cria.Bench;

/// <summary>
/// The machine's measured fp32 FMA peak: every thread runs independent chains of 512-bit (or 256-bit) fused
/// multiply-adds on registers for a fixed time; FLOPs = 2 × lanes × FMAs. The denominator of MFU.
/// </summary>
internal static class FmaPeak
{
    public static double Measure(int threads, double seconds = 0.5)
    {
        long[] fmas = new long[threads];
        Stopwatch sw = Stopwatch.StartNew();
        Thread[] ts = Enumerable.Range(0, threads).Select(i => new Thread(() => fmas[i] = Run(seconds))).ToArray();
        foreach (Thread t in ts) t.Start();
        foreach (Thread t in ts) t.Join();
        double elapsed = sw.Elapsed.TotalSeconds;
        int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
        return fmas.Sum() * 2.0 * lanes / elapsed;
    }

    private static long Run(double seconds)
    {
        Stopwatch sw = Stopwatch.StartNew();
        long count = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Distinct starting values, so the JIT cannot merge the chains into one.
            Vector512<float> a0 = Vector512.Create(1f), a1 = Vector512.Create(1.1f), a2 = Vector512.Create(1.2f), a3 = Vector512.Create(1.3f);
            Vector512<float> a4 = Vector512.Create(1.4f), a5 = Vector512.Create(1.5f), a6 = Vector512.Create(1.6f), a7 = Vector512.Create(1.7f);
            Vector512<float> a8 = Vector512.Create(1.8f), a9 = Vector512.Create(1.9f), a10 = Vector512.Create(2.0f), a11 = Vector512.Create(2.1f);
            Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < 100_000; i++)
                {
                    a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c);
                    a3 = Vector512.FusedMultiplyAdd(a3, m, c); a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
                    a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c); a8 = Vector512.FusedMultiplyAdd(a8, m, c);
                    a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
                }
                count += 12 * 100_000;
            }
            GC.KeepAlive(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        }
        else
        {
            Vector256<float> a0 = Vector256.Create(1f), a1 = Vector256.Create(1.1f), a2 = Vector256.Create(1.2f), a3 = Vector256.Create(1.3f);
            Vector256<float> a4 = Vector256.Create(1.4f), a5 = Vector256.Create(1.5f), a6 = Vector256.Create(1.6f), a7 = Vector256.Create(1.7f);
            Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                for (int i = 0; i < 100_000; i++)
                {
                    a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c); a2 = Vector256.FusedMultiplyAdd(a2, m, c);
                    a3 = Vector256.FusedMultiplyAdd(a3, m, c); a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
                    a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
                }
                count += 8 * 100_000;
            }
            GC.KeepAlive(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        }
        return count;
    }
}

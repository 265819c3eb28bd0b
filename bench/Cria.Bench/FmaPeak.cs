using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cria.Bench;

/// <summary>
/// The machine's measured fp32 FMA peak, the denominator of MFU: every thread runs 16 independent chains of
/// 512-bit (or 256-bit) fused multiply-adds on registers; FLOPs = 2 × lanes × FMAs, best rate over short windows
/// (so a shared machine's busy moments do not hide the peak). The chains' values are stored and returned: an
/// earlier version let the JIT discard them, and then timed an empty counting loop (it reported 1140-1367 GFLOPS
/// on 2 cores, 3-4× what 2 FMA ports can do). <see cref="ClockGHz"/> cross-checks the figure: one dependent
/// chain runs at one FMA per 4 cycles, which gives the clock, and peak ÷ (threads × clock) must be at most
/// 2 ports × 2 × lanes FLOP per cycle.
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 16;
    private const int Iterations = 200_000;

    public static int Lanes => Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>Peak fp32 FLOP/s of <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads, double seconds = 0.6)
    {
        double[] rate = new double[threads];
        Thread[] ts = Enumerable.Range(0, threads).Select(i => new Thread(() => rate[i] = BestRate(seconds))).ToArray();
        foreach (Thread t in ts) t.Start();
        foreach (Thread t in ts) t.Join();
        return rate.Sum();
    }

    /// <summary>The core clock in GHz, from the time of a dependent FMA chain (4 cycles latency per FMA).</summary>
    public static double ClockGHz()
    {
        float keep = Chain(1000, 1f);
        double best = double.MaxValue;
        for (int r = 0; r < 10; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            keep += Chain(1_000_000, 1f + r);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        return keep > 0 ? 4.0 * 1_000_000 / best / 1e9 : 0;
    }

    /// <summary>One line: peak, single-thread peak, clock and FLOP per cycle per core.</summary>
    public static string Report(int threads, double peak)
    {
        double one = Measure(1, 0.3), ghz = ClockGHz();
        return string.Create(CultureInfo.InvariantCulture,
            $"FMA peak {peak / 1e9:F0} GFLOPS on {threads} threads (1 thread: {one / 1e9:F0}; clock {ghz:F2} GHz from FMA latency; " +
            $"{one / 1e9 / ghz:F0} FLOP/cycle/core of at most {4 * Lanes})");
    }

    private static double BestRate(double seconds)
    {
        double best = 0;
        float seed = 1f;
        Stopwatch total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            seed += Lanes == 16 ? Run512(Iterations, seed) : Run256(Iterations, seed);
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * Lanes * Chains * Iterations / s);
        }
        return seed > 0 ? best : 0; // the sum keeps the chains alive
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(int iterations, float seed)
    {
        Vector512<float> m = Vector512.Create(0.9999999f), c = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(seed), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector512<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c, a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (int i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c); a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
            a12 = Vector512.FusedMultiplyAdd(a12, m, c); a13 = Vector512.FusedMultiplyAdd(a13, m, c); a14 = Vector512.FusedMultiplyAdd(a14, m, c); a15 = Vector512.FusedMultiplyAdd(a15, m, c);
        }
        Vector512<float> sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
        return Vector512.Sum(sum) * 1e-9f;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256(int iterations, float seed)
    {
        Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(seed), a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
        Vector256<float> a8 = a7 + c, a9 = a8 + c, a10 = a9 + c, a11 = a10 + c, a12 = a11 + c, a13 = a12 + c, a14 = a13 + c, a15 = a14 + c;
        for (int i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c); a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c); a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c); a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
            a12 = Vector256.FusedMultiplyAdd(a12, m, c); a13 = Vector256.FusedMultiplyAdd(a13, m, c); a14 = Vector256.FusedMultiplyAdd(a14, m, c); a15 = Vector256.FusedMultiplyAdd(a15, m, c);
        }
        Vector256<float> sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
        return Vector256.Sum(sum) * 1e-9f;
    }

    /// <summary>n dependent fused multiply-adds (each waits for the previous).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chain(int n, float seed)
    {
        Vector128<float> a = Vector128.Create(seed), m = Vector128.Create(0.9999999f), c = Vector128.Create(1e-7f);
        for (int i = 0; i < n; i++) a = Vector128.FusedMultiplyAdd(a, m, c);
        return a.ToScalar();
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// Read bandwidth as a multi-threaded sum over a buffer far larger than the caches: the ceiling for decoding,
/// which streams every weight once per token.
/// </summary>
internal static unsafe class MemoryBandwidth
{
    private const long Bytes = 1L << 30;
    private const int ChunkBytes = 4 << 20;

    /// <summary>Best of <paramref name="passes"/> passes, in bytes per second.</summary>
    public static double Measure(WorkerPool pool, int passes = 3)
    {
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        try
        {
            // Touch every page first so page faults are not timed.
            NativeMemory.Fill(buffer, (nuint)Bytes, 1);
            int chunks = (int)(Bytes / ChunkBytes);
            float[] sums = new float[chunks];
            double best = double.MaxValue;
            nint basePtr = (nint)buffer;
            for (int pass = 0; pass < passes; pass++)
            {
                long start = Stopwatch.GetTimestamp();
                pool.For(chunks, c => sums[c] = Sum((float*)(basePtr + (long)c * ChunkBytes), ChunkBytes / sizeof(float)));
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
            GC.KeepAlive(sums.Sum());
            return Bytes / best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static float Sum(float* p, int n)
    {
        // 256-bit loads already saturate memory, and they stay native on CPUs without AVX-512.
        Vector256<float> a = Vector256<float>.Zero, b = a, c = a, d = a;
        for (int i = 0; i < n; i += 32)
        {
            a += Vector256.LoadAligned(p + i);
            b += Vector256.LoadAligned(p + i + 8);
            c += Vector256.LoadAligned(p + i + 16);
            d += Vector256.LoadAligned(p + i + 24);
        }
        return Vector256.Sum(a + b + c + d);
    }
}

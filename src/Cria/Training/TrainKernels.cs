using System.Runtime.Intrinsics;
using Cria.Tensors;

namespace Cria.Training;

/// <summary>Element-wise helpers for training, split into fixed chunks so each element has one owner.</summary>
public static unsafe class TrainKernels
{
    private const int Chunk = 1 << 14;

    /// <summary>dst[i] += src[i].</summary>
    public static void AddInto(WorkerPool pool, float* dst, float* src, long count)
    {
        nint pd = (nint)dst, ps = (nint)src;
        int chunks = (int)((count + Chunk - 1) / Chunk);
        pool.For(chunks, c =>
        {
            long from = (long)c * Chunk;
            int len = (int)Math.Min(Chunk, count - from);
            Add((float*)pd + from, (float*)ps + from, len);
        });
    }

    public static void Add(float* dst, float* src, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(dst + i) + Vector512.Load(src + i), dst + i);
        for (; i < n; i++) dst[i] += src[i];
    }

    /// <summary>
    /// Σ x[i]² in double, summed per fixed chunk and then over chunks in order, so the result does not
    /// depend on how many threads computed the chunks.
    /// </summary>
    public static double SumOfSquares(WorkerPool pool, float* x, long count)
    {
        int chunks = (int)((count + Chunk - 1) / Chunk);
        double[] partial = new double[chunks];
        nint px = (nint)x;
        pool.For(chunks, c =>
        {
            long from = (long)c * Chunk;
            int len = (int)Math.Min(Chunk, count - from);
            float* p = (float*)px + from;
            double s = 0;
            for (int i = 0; i < len; i++) s += (double)p[i] * p[i];
            partial[c] = s;
        });
        double total = 0;
        foreach (double s in partial) total += s;
        return total;
    }

    /// <summary>Runs body(from, count) over [0, total) in fixed chunks of <paramref name="chunk"/>.</summary>
    public static void ForChunks(WorkerPool pool, long total, int chunk, Action<long, int> body)
    {
        int chunks = (int)((total + chunk - 1) / chunk);
        pool.For(chunks, c =>
        {
            long from = (long)c * chunk;
            body(from, (int)Math.Min(chunk, total - from));
        });
    }
}

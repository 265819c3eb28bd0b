using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// y[t, j] += b[j] (the q/k/v biases of attention_bias models) and its backward db[j] += Σ_t dy[t, j]. The backward
/// gives each thread whole columns and sums their tokens in order, so the result does not depend on the thread count.
/// </summary>
public static unsafe class BiasOp
{
    private const int ColumnBlock = 64;

    public static void Forward(WorkerPool pool, float* y, int n, int cols, float* b)
    {
        nint py = (nint)y, pb = (nint)b;
        TrainKernels.ForChunks(pool, n, 64, (from, count) =>
        {
            for (long t = from; t < from + count; t++) TrainKernels.Add((float*)py + t * cols, (float*)pb, cols);
        });
    }

    public static void Backward(WorkerPool pool, float* dy, int n, int cols, float* db)
    {
        nint pdy = (nint)dy, pdb = (nint)db;
        TrainKernels.ForChunks(pool, cols, ColumnBlock, (from, count) =>
        {
            float* g = (float*)pdb + from;
            for (int t = 0; t < n; t++) TrainKernels.Add(g, (float*)pdy + (long)t * cols + from, count);
        });
    }
}

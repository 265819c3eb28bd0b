using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// y = x·Wᵀ for x [n, k] and W [out, k], with its backward: dx = dy·W and dW += dyᵀ·x. All three are
/// <see cref="Gemm"/> calls that read the operands in place (the packing handles the transposed layouts), and
/// every output element is one fixed-order chain written by one thread, so results do not depend on the
/// thread count.
/// </summary>
public static unsafe class LinearOp
{
    /// <summary>y[t, r] = Σ_i x[t, i]·w[r, i] for t &lt; n, r &lt; rows.</summary>
    public static void Forward(WorkerPool pool, float* x, int n, int k, float* w, int rows, float* y) =>
        Gemm.XWt(pool, x, n, k, w, rows, y);

    /// <summary>dx = dy·W (overwrites dx [n, k], or adds into it when <paramref name="accumulate"/>).</summary>
    public static void BackwardInput(WorkerPool pool, float* dy, int n, float* w, int rows, int k, float* dx, bool accumulate = false) =>
        Gemm.DyW(pool, dy, n, w, rows, k, dx, accumulate);

    /// <summary>dW [rows, k] += dyᵀ·x over the n tokens.</summary>
    public static void BackwardWeight(WorkerPool pool, float* dy, float* x, int n, int rows, int k, float* dw) =>
        Gemm.DytX(pool, dy, x, n, rows, k, dw);
}

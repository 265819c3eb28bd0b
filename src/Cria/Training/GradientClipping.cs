using Cria.Tensors;

namespace Cria.Training;

/// <summary>Global L2 gradient norm and clipping as torch.nn.utils.clip_grad_norm_ does it.</summary>
public static unsafe class GradientClipping
{
    /// <summary>√Σg² over every parameter, in a fixed order of chunks (independent of thread count).</summary>
    public static float Norm(ParameterSet ps, WorkerPool pool) =>
        (float)Math.Sqrt(TrainKernels.SumOfSquares(pool, ps.GradientsPointer, ps.Count));

    /// <summary>The L2 norm of one tensor's gradient.</summary>
    public static float Norm(ParameterSet ps, ParameterTensor t, WorkerPool pool) =>
        (float)Math.Sqrt(TrainKernels.SumOfSquares(pool, ps.Gradient(t), t.Elements));

    /// <summary>Scales gradients by min(1, maxNorm/(norm + 1e-6)); returns the norm before clipping.</summary>
    public static float Clip(ParameterSet ps, float maxNorm, WorkerPool pool)
    {
        float norm = Norm(ps, pool);
        if (maxNorm <= 0) return norm;
        float coef = maxNorm / (norm + 1e-6f);
        if (coef >= 1f) return norm;
        float* g = ps.GradientsPointer;
        nint pg = (nint)g;
        TrainKernels.ForChunks(pool, ps.Count, 1 << 14, (from, len) =>
        {
            float* p = (float*)pg + from;
            for (int i = 0; i < len; i++) p[i] *= coef;
        });
        return norm;
    }
}

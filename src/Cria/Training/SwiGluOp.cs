using Cria.Tensors;

namespace Cria.Training;

/// <summary>SwiGLU: a = silu(g)·u, silu(g) = g·σ(g); da/dg = u·σ(g)·(1 + g·(1 − σ(g))), da/du = silu(g).</summary>
public static unsafe class SwiGluOp
{
    private const int Chunk = 4096;

    public static void Forward(WorkerPool pool, float* gate, float* up, long count, float* act)
    {
        nint pg = (nint)gate, pu = (nint)up, pa = (nint)act;
        TrainKernels.ForChunks(pool, count, Chunk, (from, len) =>
        {
            float* g = (float*)pg + from, u = (float*)pu + from, a = (float*)pa + from;
            for (int i = 0; i < len; i++) a[i] = g[i] / (1f + MathF.Exp(-g[i])) * u[i];
        });
    }

    public static void Backward(WorkerPool pool, float* dAct, float* gate, float* up, long count, float* dGate, float* dUp)
    {
        nint pd = (nint)dAct, pg = (nint)gate, pu = (nint)up, pdg = (nint)dGate, pdu = (nint)dUp;
        TrainKernels.ForChunks(pool, count, Chunk, (from, len) =>
        {
            float* d = (float*)pd + from, g = (float*)pg + from, u = (float*)pu + from, dg = (float*)pdg + from, du = (float*)pdu + from;
            for (int i = 0; i < len; i++)
            {
                float s = 1f / (1f + MathF.Exp(-g[i]));
                du[i] = d[i] * g[i] * s;
                dg[i] = d[i] * u[i] * s * (1f + g[i] * (1f - s));
            }
        });
    }
}

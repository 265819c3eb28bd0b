using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Cria.Tensors;

namespace Cria.Training;

/// <summary>Hyper-parameters of <see cref="AdamW"/>, named as PyTorch's torch.optim.AdamW.</summary>
public sealed record AdamWOptions
{
    public float Beta1 { get; init; } = 0.9f;
    public float Beta2 { get; init; } = 0.95f;
    public float Eps { get; init; } = 1e-8f;
    public float WeightDecay { get; init; } = 0.1f;
}

/// <summary>
/// AdamW with decoupled weight decay (on matrices only), in PyTorch's order of operations:
/// θ ← θ(1 − lr·wd); m ← β1·m + (1 − β1)g; v ← β2·v + (1 − β2)g²; θ ← θ − lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + ε).
/// Moments are fp32 and element-wise, so the update has no reductions to order.
/// </summary>
public sealed unsafe class AdamW
{
    private readonly ParameterSet _params;

    public AdamWOptions Options { get; }
    public float[] M { get; }
    public float[] V { get; }

    /// <summary>Updates done so far (PyTorch's per-parameter "step").</summary>
    public long Step { get; set; }

    public AdamW(ParameterSet parameters, AdamWOptions options)
    {
        _params = parameters;
        Options = options;
        M = GC.AllocateArray<float>((int)parameters.Count, pinned: true);
        V = GC.AllocateArray<float>((int)parameters.Count, pinned: true);
    }

    public void Update(float lr, WorkerPool pool)
    {
        Step++;
        double bc1 = 1 - Math.Pow(Options.Beta1, Step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Options.Beta2, Step));
        float stepSize = (float)(lr / bc1);
        float b1 = Options.Beta1, b2 = Options.Beta2, eps = Options.Eps, bc2 = (float)bc2Sqrt;
        float* pv = _params.ValuesPointer, pg = _params.GradientsPointer;
        float* pm = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(M, 0), ps = (float*)Marshal.UnsafeAddrOfPinnedArrayElement(V, 0);
        nint nv = (nint)pv, ng = (nint)pg, nm = (nint)pm, ns = (nint)ps;
        foreach (ParameterTensor t in _params.Tensors)
        {
            float decay = t.Decays ? 1f - lr * Options.WeightDecay : 1f;
            long off = t.Offset;
            TrainKernels.ForChunks(pool, t.Elements, 1 << 14, (from, len) =>
            {
                float* w = (float*)nv + off + from, g = (float*)ng + off + from, m = (float*)nm + off + from, v = (float*)ns + off + from;
                int i = 0;
                // The same operations in the same order per element as the scalar loop below: the same bits.
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512<float> vb1 = Vector512.Create(b1), vb2 = Vector512.Create(b2), vc1 = Vector512.Create(1 - b1), vc2 = Vector512.Create(1 - b2);
                    for (; i + 16 <= len; i += 16)
                    {
                        Vector512<float> wi = Vector512.Load(w + i) * decay, gi = Vector512.Load(g + i);
                        Vector512<float> mi = Vector512.Load(m + i) * vb1 + vc1 * gi;
                        Vector512<float> vi = Vector512.Load(v + i) * vb2 + vc2 * gi * gi;
                        Vector512<float> denom = Vector512.Sqrt(vi) / bc2 + Vector512.Create(eps);
                        Vector512.Store(wi - stepSize * (mi / denom), w + i);
                        Vector512.Store(mi, m + i);
                        Vector512.Store(vi, v + i);
                    }
                }
                for (; i < len; i++)
                {
                    w[i] *= decay;
                    m[i] = m[i] * b1 + (1 - b1) * g[i];
                    v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i];
                    float denom = MathF.Sqrt(v[i]) / bc2 + eps;
                    w[i] -= stepSize * (m[i] / denom);
                }
            });
        }
    }
}

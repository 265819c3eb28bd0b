using System.Runtime.InteropServices;

namespace Cria.Training;

/// <summary>What the forward pass keeps of one layer for the backward (all [n, …] row-major, n = B·T).</summary>
public sealed unsafe class LayerActivations
{
    public float* Input;     // residual stream entering the layer [n, dim]
    public float* Rstd1;     // [n]
    public float* Norm1;     // [n, dim]
    public float* Q;         // after RoPE [n, qdim]
    public float* K;         // after RoPE [n, kvdim]
    public float* V;         // [n, kvdim]
    public float* Probs;     // [B, heads, T, T]
    public float* AttnOut;   // [n, qdim]
    public float* Mid;       // residual after attention [n, dim]
    public float* Rstd2;     // [n]
    public float* Norm2;     // [n, dim]
    public float* Gate;      // [n, hidden]
    public float* Up;        // [n, hidden]
    public float* Act;       // silu(gate)·up [n, hidden]
}

/// <summary>All saved activations for a batch of B×T tokens, in one native allocation.</summary>
public sealed unsafe class Activations : IDisposable
{
    private void* _block;

    public int Batch { get; }
    public int Seq { get; }
    public int Tokens => Batch * Seq;
    public LayerActivations[] Layers { get; }
    public float* Final;      // residual after the last layer [n, dim]
    public float* RstdF;      // [n]
    public float* NormF;      // [n, dim]
    public float* Logits;     // [n, vocab]; the backward turns it into dlogits
    public long Bytes { get; }

    public Activations(Model.LlamaConfig c, int batch, int seq)
    {
        Batch = batch;
        Seq = seq;
        long n = (long)batch * seq, d = c.Dim, qd = c.QDim, kv = c.KvDim, h = c.HiddenDim;
        long perLayer = n * d * 4 + n * 2 + n * qd * 2 + n * kv * 2 + (long)batch * c.Heads * seq * seq + n * h * 3;
        long total = perLayer * c.Layers + n * d * 2 + n + n * c.VocabSize;
        Bytes = total * sizeof(float);
        _block = NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        float* p = (float*)_block;
        float* Take(long count)
        {
            float* r = p;
            p += count;
            return r;
        }

        Layers = new LayerActivations[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            Layers[l] = new LayerActivations
            {
                Input = Take(n * d),
                Rstd1 = Take(n),
                Norm1 = Take(n * d),
                Q = Take(n * qd),
                K = Take(n * kv),
                V = Take(n * kv),
                Probs = Take((long)batch * c.Heads * seq * seq),
                AttnOut = Take(n * qd),
                Mid = Take(n * d),
                Rstd2 = Take(n),
                Norm2 = Take(n * d),
                Gate = Take(n * h),
                Up = Take(n * h),
                Act = Take(n * h),
            };
        Final = Take(n * d);
        RstdF = Take(n);
        NormF = Take(n * d);
        Logits = Take(n * c.VocabSize);
    }

    public void Dispose()
    {
        if (_block != null) NativeMemory.AlignedFree(_block);
        _block = null;
    }
}

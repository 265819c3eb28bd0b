using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// Forward and backward of a <see cref="TrainableLlama"/> on one batch of B rows × T tokens (inputs and
/// next-token targets). The forward saves the activations the backward needs; the backward adds this
/// batch's gradients (of the mean loss, times a scale for accumulation) into the parameter set.
/// </summary>
public sealed unsafe class TrainingPass : IDisposable
{
    private readonly TrainableLlama _model;
    private readonly WorkerPool _pool;
    private readonly Activations _acts;
    private readonly Workspace _ws = new();
    private readonly RopeOp _rope;
    private readonly float[] _losses;
    private int[] _inputs = [];
    private int[] _targets = [];

    public int Batch { get; }
    public int Seq { get; }
    public int Tokens => Batch * Seq;

    /// <summary>Native bytes held for activations and scratch.</summary>
    public long ActivationBytes => _acts.Bytes + _ws.Bytes;

    public TrainingPass(TrainableLlama model, int batch, int seq, WorkerPool? pool = null)
    {
        if (batch < 1 || seq < 1) throw new ArgumentException($"batch ({batch}) and seq ({seq}) must be positive");
        _model = model;
        _pool = pool ?? WorkerPool.Shared;
        Batch = batch;
        Seq = seq;
        _acts = new Activations(model.Config, batch, seq);
        _rope = new RopeOp(model.Config, seq);
        _losses = new float[batch * seq];
    }

    private AttentionOp.Shape AttnShape
    {
        get
        {
            var c = _model.Config;
            return new AttentionOp.Shape(Batch, Seq, c.Heads, c.KvHeads, c.HeadDim);
        }
    }

    /// <summary>Runs the forward pass and returns the mean cross-entropy of predicting targets from inputs.</summary>
    public float Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets)
    {
        var c = _model.Config;
        int n = Tokens;
        if (inputs.Length != n || targets.Length != n) throw new ArgumentException($"expected {n} inputs and targets, got {inputs.Length} and {targets.Length}");
        foreach (int id in inputs) if ((uint)id >= (uint)c.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary of {c.VocabSize}");
        foreach (int id in targets) if ((uint)id >= (uint)c.VocabSize) throw new ArgumentException($"target id {id} is outside the vocabulary of {c.VocabSize}");
        _inputs = inputs.ToArray();
        _targets = targets.ToArray();
        ParameterSet ps = _model.Parameters;
        int d = c.Dim;

        EmbeddingOp.Forward(inputs, ps.Value(_model.Embedding), d, _acts.Layers[0].Input);
        for (int l = 0; l < c.Layers; l++)
        {
            LayerParameters p = _model.Layers[l];
            LayerActivations a = _acts.Layers[l];
            RmsNormOp.Forward(_pool, a.Input, ps.Value(p.AttnNorm), n, d, c.NormEps, a.Norm1, a.Rstd1);
            LinearOp.Forward(_pool, a.Norm1, n, d, ps.Value(p.Wq), c.QDim, a.Q);
            LinearOp.Forward(_pool, a.Norm1, n, d, ps.Value(p.Wk), c.KvDim, a.K);
            LinearOp.Forward(_pool, a.Norm1, n, d, ps.Value(p.Wv), c.KvDim, a.V);
            if (p.Bq != null)
            {
                BiasOp.Forward(_pool, a.Q, n, c.QDim, ps.Value(p.Bq));
                BiasOp.Forward(_pool, a.K, n, c.KvDim, ps.Value(p.Bk!));
                BiasOp.Forward(_pool, a.V, n, c.KvDim, ps.Value(p.Bv!));
            }
            _rope.Forward(a.Q, n, Seq, c.Heads);
            _rope.Forward(a.K, n, Seq, c.KvHeads);
            AttentionOp.Forward(_pool, AttnShape, a.Q, a.K, a.V, a.Probs, a.AttnOut);
            LinearOp.Forward(_pool, a.AttnOut, n, c.QDim, ps.Value(p.Wo), d, a.Mid);
            TrainKernels.AddInto(_pool, a.Mid, a.Input, (long)n * d);
            RmsNormOp.Forward(_pool, a.Mid, ps.Value(p.FfnNorm), n, d, c.NormEps, a.Norm2, a.Rstd2);
            LinearOp.Forward(_pool, a.Norm2, n, d, ps.Value(p.WGate), c.HiddenDim, a.Gate);
            LinearOp.Forward(_pool, a.Norm2, n, d, ps.Value(p.WUp), c.HiddenDim, a.Up);
            SwiGluOp.Forward(_pool, a.Gate, a.Up, (long)n * c.HiddenDim, a.Act);
            float* next = l + 1 < c.Layers ? _acts.Layers[l + 1].Input : _acts.Final;
            LinearOp.Forward(_pool, a.Act, n, c.HiddenDim, ps.Value(p.WDown), d, next);
            TrainKernels.AddInto(_pool, next, a.Mid, (long)n * d);
        }
        RmsNormOp.Forward(_pool, _acts.Final, ps.Value(_model.FinalNorm), n, d, c.NormEps, _acts.NormF, _acts.RstdF);
        LinearOp.Forward(_pool, _acts.NormF, n, d, ps.Value(_model.Output), c.VocabSize, _acts.Logits);
        return CrossEntropyOp.Forward(_pool, _acts.Logits, _targets, c.VocabSize, _losses);
    }

    /// <summary>Logits of the last forward pass, [B·T, vocab] (valid until <see cref="Backward"/>).</summary>
    public ReadOnlySpan<float> Logits => new(_acts.Logits, Tokens * _model.Config.VocabSize);

    /// <summary>Adds scale·∂(mean loss)/∂θ of the last forward pass into the gradients.</summary>
    public void Backward(float scale = 1f)
    {
        var c = _model.Config;
        ParameterSet ps = _model.Parameters;
        int n = Tokens, d = c.Dim, hid = c.HiddenDim;
        CrossEntropyOp.Backward(_pool, _acts.Logits, _targets, c.VocabSize, scale / n);

        float* dRes = _ws.Zeroed("d.res", (long)n * d);
        float* dNorm = _ws.Get("d.norm", (long)n * d);
        LinearOp.BackwardWeight(_pool, _acts.Logits, _acts.NormF, n, c.VocabSize, d, ps.Gradient(_model.Output));
        LinearOp.BackwardInput(_pool, _acts.Logits, n, ps.Value(_model.Output), c.VocabSize, d, dNorm);
        RmsNormOp.Backward(_pool, dNorm, _acts.Final, ps.Value(_model.FinalNorm), _acts.RstdF, n, d, dRes, ps.Gradient(_model.FinalNorm));

        float* dAct = _ws.Get("d.act", (long)n * hid);
        float* dGate = _ws.Get("d.gate", (long)n * hid);
        float* dUp = _ws.Get("d.up", (long)n * hid);
        float* dAttn = _ws.Get("d.attn", (long)n * c.QDim);
        float* dQ = _ws.Get("d.q", (long)n * c.QDim);
        float* dK = _ws.Get("d.k", (long)n * c.KvDim);
        float* dV = _ws.Get("d.v", (long)n * c.KvDim);
        for (int l = c.Layers - 1; l >= 0; l--)
        {
            LayerParameters p = _model.Layers[l];
            LayerActivations a = _acts.Layers[l];

            // Feed-forward block: out = mid + down(silu(gate(x̂))·up(x̂)).
            LinearOp.BackwardWeight(_pool, dRes, a.Act, n, d, hid, ps.Gradient(p.WDown));
            LinearOp.BackwardInput(_pool, dRes, n, ps.Value(p.WDown), d, hid, dAct);
            SwiGluOp.Backward(_pool, dAct, a.Gate, a.Up, (long)n * hid, dGate, dUp);
            LinearOp.BackwardWeight(_pool, dGate, a.Norm2, n, hid, d, ps.Gradient(p.WGate));
            LinearOp.BackwardWeight(_pool, dUp, a.Norm2, n, hid, d, ps.Gradient(p.WUp));
            LinearOp.BackwardInput(_pool, dGate, n, ps.Value(p.WGate), hid, d, dNorm);
            LinearOp.BackwardInput(_pool, dUp, n, ps.Value(p.WUp), hid, d, dNorm, accumulate: true);
            RmsNormOp.Backward(_pool, dNorm, a.Mid, ps.Value(p.FfnNorm), a.Rstd2, n, d, dRes, ps.Gradient(p.FfnNorm));

            // Attention block: mid = in + o(attention(rope(q(x̂) + bq), rope(k(x̂) + bk), v(x̂) + bv)).
            LinearOp.BackwardWeight(_pool, dRes, a.AttnOut, n, d, c.QDim, ps.Gradient(p.Wo));
            LinearOp.BackwardInput(_pool, dRes, n, ps.Value(p.Wo), d, c.QDim, dAttn);
            AttentionOp.Backward(_pool, AttnShape, a.Q, a.K, a.V, a.Probs, dAttn, dQ, dK, dV);
            _rope.Backward(dQ, n, Seq, c.Heads);
            _rope.Backward(dK, n, Seq, c.KvHeads);
            if (p.Bq != null)
            {
                BiasOp.Backward(_pool, dQ, n, c.QDim, ps.Gradient(p.Bq));
                BiasOp.Backward(_pool, dK, n, c.KvDim, ps.Gradient(p.Bk!));
                BiasOp.Backward(_pool, dV, n, c.KvDim, ps.Gradient(p.Bv!));
            }
            LinearOp.BackwardWeight(_pool, dQ, a.Norm1, n, c.QDim, d, ps.Gradient(p.Wq));
            LinearOp.BackwardWeight(_pool, dK, a.Norm1, n, c.KvDim, d, ps.Gradient(p.Wk));
            LinearOp.BackwardWeight(_pool, dV, a.Norm1, n, c.KvDim, d, ps.Gradient(p.Wv));
            LinearOp.BackwardInput(_pool, dQ, n, ps.Value(p.Wq), c.QDim, d, dNorm);
            LinearOp.BackwardInput(_pool, dK, n, ps.Value(p.Wk), c.KvDim, d, dNorm, accumulate: true);
            LinearOp.BackwardInput(_pool, dV, n, ps.Value(p.Wv), c.KvDim, d, dNorm, accumulate: true);
            RmsNormOp.Backward(_pool, dNorm, a.Input, ps.Value(p.AttnNorm), a.Rstd1, n, d, dRes, ps.Gradient(p.AttnNorm));
        }
        EmbeddingOp.Backward(_inputs, dRes, d, ps.Gradient(_model.Embedding));
    }

    public void Dispose()
    {
        _acts.Dispose();
        _ws.Dispose();
    }
}

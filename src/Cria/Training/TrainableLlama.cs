using Cria.Model;

namespace Cria.Training;

/// <summary>The trainable tensors of one decoder block; Bq/Bk/Bv only for attention_bias (Qwen2-style) models.</summary>
public sealed record LayerParameters(
    ParameterTensor AttnNorm, ParameterTensor Wq, ParameterTensor Wk, ParameterTensor Wv, ParameterTensor Wo,
    ParameterTensor FfnNorm, ParameterTensor WGate, ParameterTensor WUp, ParameterTensor WDown,
    ParameterTensor? Bq = null, ParameterTensor? Bk = null, ParameterTensor? Bv = null)
{
    /// <summary>The q and k tensors whose rows (or entries) follow the RoPE layout.</summary>
    public IEnumerable<ParameterTensor> RopeOrdered => Bq == null ? [Wq, Wk] : [Wq, Wk, Bq, Bk!];
}

/// <summary>
/// A LLaMA model held as fp32 master weights for training: the config, the flat <see cref="ParameterSet"/>
/// and, per tensor, its Hugging Face name. q/k rows stay in the layout the config names
/// (<see cref="RopeLayout"/>): interleaved pairs for llama2.c/GGUF sources, rotate-half for HF ones.
/// </summary>
public sealed class TrainableLlama
{
    public LlamaConfig Config { get; }
    public ParameterSet Parameters { get; }
    public ParameterTensor Embedding { get; }
    public LayerParameters[] Layers { get; }
    public ParameterTensor FinalNorm { get; }

    /// <summary>The output matrix; the embedding itself when tied.</summary>
    public ParameterTensor Output { get; }

    public TrainableLlama(LlamaConfig config)
    {
        Config = config;
        List<ParameterTensor> list = new();
        long offset = 0;
        ParameterTensor Add(string name, int rows, int cols, bool matrix)
        {
            ParameterTensor t = new(name, offset, rows, cols, matrix);
            // Each tensor starts on a 64-byte boundary so vector loads of a row start aligned.
            offset += (t.Elements + 15) & ~15L;
            list.Add(t);
            return t;
        }

        int d = config.Dim, q = config.QDim, kv = config.KvDim, h = config.HiddenDim;
        Embedding = Add("model.embed_tokens.weight", config.VocabSize, d, true);
        Layers = new LayerParameters[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            ParameterTensor attnNorm = Add(p + "input_layernorm.weight", 1, d, false);
            ParameterTensor wq = Add(p + "self_attn.q_proj.weight", q, d, true);
            ParameterTensor wk = Add(p + "self_attn.k_proj.weight", kv, d, true);
            ParameterTensor wv = Add(p + "self_attn.v_proj.weight", kv, d, true);
            // Biases are vectors: no weight decay, as for norm gains.
            ParameterTensor? bq = config.AttentionBias ? Add(p + "self_attn.q_proj.bias", 1, q, false) : null;
            ParameterTensor? bk = config.AttentionBias ? Add(p + "self_attn.k_proj.bias", 1, kv, false) : null;
            ParameterTensor? bv = config.AttentionBias ? Add(p + "self_attn.v_proj.bias", 1, kv, false) : null;
            Layers[l] = new LayerParameters(attnNorm, wq, wk, wv,
                Add(p + "self_attn.o_proj.weight", d, q, true),
                Add(p + "post_attention_layernorm.weight", 1, d, false),
                Add(p + "mlp.gate_proj.weight", h, d, true),
                Add(p + "mlp.up_proj.weight", h, d, true),
                Add(p + "mlp.down_proj.weight", d, h, true),
                bq, bk, bv);
        }
        FinalNorm = Add("model.norm.weight", 1, d, false);
        Output = config.TiedEmbeddings ? Embedding : Add("lm_head.weight", config.VocabSize, d, true);
        Parameters = new ParameterSet(list);
    }

    /// <summary>
    /// Copies (dequantizing to fp32) the weights of a loaded checkpoint. With <paramref name="layout"/> =
    /// Interleaved a rotate-half (Hugging Face) checkpoint's q/k rows are put back into interleaved order, so
    /// a run resumed from its HF checkpoint computes in the same order as before.
    /// </summary>
    public static TrainableLlama FromLoaded(LoadedModel loaded, RopeLayout? layout = null)
    {
        if (loaded.Weights.RopeFreqFactors != null)
            throw new NotSupportedException($"{loaded.Path}: per-pair RoPE frequency factors (rope_freqs) are not supported for training");
        bool unpermute = layout == RopeLayout.Interleaved && loaded.Config.RopeLayout == RopeLayout.Halves;
        if (layout == RopeLayout.Halves && loaded.Config.RopeLayout == RopeLayout.Interleaved)
            throw new NotSupportedException("converting an interleaved checkpoint to rotate-half order for training is not supported");
        TrainableLlama m = new(unpermute ? loaded.Config with { RopeLayout = RopeLayout.Interleaved } : loaded.Config);
        LlamaWeights w = loaded.Weights;
        m.CopyMatrix(m.Embedding, w.TokenEmbedding);
        for (int l = 0; l < m.Layers.Length; l++)
        {
            LayerParameters p = m.Layers[l];
            LayerWeights s = w.Layers[l];
            s.AttnNorm.CopyTo(m.Parameters.ValueSpan(p.AttnNorm));
            s.FfnNorm.CopyTo(m.Parameters.ValueSpan(p.FfnNorm));
            m.CopyMatrix(p.Wq, s.Wq);
            m.CopyMatrix(p.Wk, s.Wk);
            m.CopyMatrix(p.Wv, s.Wv);
            m.CopyMatrix(p.Wo, s.Wo);
            m.CopyMatrix(p.WGate, s.WGate);
            m.CopyMatrix(p.WUp, s.WUp);
            m.CopyMatrix(p.WDown, s.WDown);
            if (p.Bq != null)
            {
                if (s.Bq == null || s.Bk == null || s.Bv == null) throw new Formats.CriaFormatException(loaded.Path, $"layer {l}", "attention_bias is set but the q/k/v biases are missing");
                m.CopyVector(p.Bq, s.Bq);
                m.CopyVector(p.Bk!, s.Bk);
                m.CopyVector(p.Bv!, s.Bv);
            }
        }
        w.FinalNorm.CopyTo(m.Parameters.ValueSpan(m.FinalNorm));
        if (!m.Config.TiedEmbeddings) m.CopyMatrix(m.Output, w.Output);
        if (unpermute)
        {
            if (m.Config.RopeDim != m.Config.HeadDim) throw new NotSupportedException("partial-rotary checkpoints cannot be reordered to interleaved pairs");
            foreach (LayerParameters p in m.Layers)
                foreach (ParameterTensor t in p.RopeOrdered)
                    RopeRowOrder.ToInterleaved(m.Parameters.ValueSpan(t).ToArray(), t.IsMatrix ? t.Rows : t.Cols, t.IsMatrix ? t.Cols : 1, m.Config.HeadDim).CopyTo(m.Parameters.ValueSpan(t));
        }
        return m;
    }

    private void CopyVector(ParameterTensor dst, float[] src)
    {
        if (src.Length != dst.Elements) throw new Formats.CriaFormatException(dst.Name, "shape", $"is [{src.Length}], expected [{dst.Elements}]");
        src.CopyTo(Parameters.ValueSpan(dst));
    }

    private void CopyMatrix(ParameterTensor dst, WeightTensor src)
    {
        if (src.Rows != dst.Rows || src.Cols != dst.Cols)
            throw new Formats.CriaFormatException(src.Name, "shape", $"is [{src.Rows}, {src.Cols}], expected [{dst.Rows}, {dst.Cols}]");
        Span<float> all = Parameters.ValueSpan(dst);
        for (int r = 0; r < dst.Rows; r++) src.ReadRow(r, all.Slice(r * dst.Cols, dst.Cols));
    }

    /// <summary>
    /// Seeded initialization as llama2.c and nanoGPT do it: every matrix ~ N(0, 0.02²), the residual
    /// projections (o_proj, down_proj) scaled by 1/sqrt(2·layers), norm gains 1.
    /// </summary>
    public void InitializeRandom(ulong seed)
    {
        NormalRandom rng = new(seed);
        float residualStd = 0.02f / MathF.Sqrt(2f * Config.Layers);
        foreach (ParameterTensor t in Parameters.Tensors)
        {
            Span<float> v = Parameters.ValueSpan(t);
            if (!t.IsMatrix)
            {
                v.Fill(t.Name.EndsWith(".bias", StringComparison.Ordinal) ? 0f : 1f);
                continue;
            }
            bool residual = t.Name.EndsWith("o_proj.weight", StringComparison.Ordinal) || t.Name.EndsWith("down_proj.weight", StringComparison.Ordinal);
            float std = residual ? residualStd : 0.02f;
            for (int i = 0; i < v.Length; i++) v[i] = std * rng.Next();
        }
    }
}

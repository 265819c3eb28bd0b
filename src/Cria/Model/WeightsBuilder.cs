using Cria.Formats;
using Cria.Tensors;

namespace Cria.Model;

/// <summary>The tensor names one checkpoint family uses for a LLaMA decoder.</summary>
public sealed record TensorNaming(
    string Embedding, string FinalNorm, string Output,
    string AttnNorm, string Wq, string Wk, string Wv, string Wo,
    string Bq, string Bk, string Bv,
    string FfnNorm, string Gate, string Up, string Down)
{
    /// <summary>Hugging Face transformers (LlamaForCausalLM, Qwen2ForCausalLM). {0} is the layer index.</summary>
    public static TensorNaming HuggingFace { get; } = new(
        "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
        "model.layers.{0}.input_layernorm.weight",
        "model.layers.{0}.self_attn.q_proj.weight", "model.layers.{0}.self_attn.k_proj.weight",
        "model.layers.{0}.self_attn.v_proj.weight", "model.layers.{0}.self_attn.o_proj.weight",
        "model.layers.{0}.self_attn.q_proj.bias", "model.layers.{0}.self_attn.k_proj.bias", "model.layers.{0}.self_attn.v_proj.bias",
        "model.layers.{0}.post_attention_layernorm.weight",
        "model.layers.{0}.mlp.gate_proj.weight", "model.layers.{0}.mlp.up_proj.weight", "model.layers.{0}.mlp.down_proj.weight");

    /// <summary>
    /// Hugging Face names with the two norms renamed as Yi's first checkpoints had them (ln1 before attention, ln2
    /// before the MLP): otherwise a LLaMA layout, which is why names alone say little about lineage.
    /// </summary>
    public static TensorNaming HuggingFaceLn12 { get; } = HuggingFace with
    {
        AttnNorm = "model.layers.{0}.ln1.weight",
        FfnNorm = "model.layers.{0}.ln2.weight",
    };

    /// <summary>The Hugging Face naming a checkpoint's tensor names follow (the LLaMA names, or the ln1/ln2 renames).</summary>
    public static TensorNaming HuggingFaceFor(IReadOnlyDictionary<string, TensorEntry> tensors) =>
        !tensors.ContainsKey("model.layers.0.input_layernorm.weight") && tensors.ContainsKey("model.layers.0.ln1.weight")
            ? HuggingFaceLn12 : HuggingFace;

    /// <summary>llama.cpp's GGUF names.</summary>
    public static TensorNaming Gguf { get; } = new(
        "token_embd.weight", "output_norm.weight", "output.weight",
        "blk.{0}.attn_norm.weight",
        "blk.{0}.attn_q.weight", "blk.{0}.attn_k.weight", "blk.{0}.attn_v.weight", "blk.{0}.attn_output.weight",
        "blk.{0}.attn_q.bias", "blk.{0}.attn_k.bias", "blk.{0}.attn_v.bias",
        "blk.{0}.ffn_norm.weight",
        "blk.{0}.ffn_gate.weight", "blk.{0}.ffn_up.weight", "blk.{0}.ffn_down.weight");

    public string Layer(string pattern, int layer) => string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, layer);
}

/// <summary>
/// Builds <see cref="LlamaWeights"/> from named tensors, checking every shape against the config so a
/// mismatched checkpoint fails with the file and tensor named.
/// </summary>
public static unsafe class WeightsBuilder
{
    public static LlamaWeights Build(LlamaConfig c, IReadOnlyDictionary<string, TensorEntry> tensors, TensorNaming n, string source, IEnumerable<string>? optionalExtra = null)
    {
        HashSet<string> used = new(StringComparer.Ordinal);

        TensorEntry Get(string name)
        {
            if (!tensors.TryGetValue(name, out TensorEntry? e))
                throw new CriaFormatException(source, $"tensor '{name}'", "missing from the checkpoint");
            used.Add(name);
            return e;
        }

        WeightTensor Matrix(string name, int rows, int cols)
        {
            TensorEntry e = Get(name);
            if (e.Shape.Length != 2 || e.Shape[0] != rows || e.Shape[1] != cols)
                throw new CriaFormatException(e.File, $"tensor '{name}'.shape", $"is {e.ShapeText} but the config implies [{rows}, {cols}]");
            return new WeightTensor(name, e.Type, rows, cols, e.Pointer);
        }

        float[] Vector(string name, int length)
        {
            TensorEntry e = Get(name);
            if (e.Elements != length || e.Shape.Length != 1)
                throw new CriaFormatException(e.File, $"tensor '{name}'.shape", $"is {e.ShapeText} but the config implies [{length}]");
            float[] v = new float[length];
            if (e.Type.IsQuantized()) throw new CriaFormatException(e.File, $"tensor '{name}'.type", $"{e.Type} is not supported for a vector");
            unsafe { Dequantize.Row(e.Type, e.Pointer, v); }
            return v;
        }

        float[]? OptionalVector(string name, int length) => tensors.ContainsKey(name) ? Vector(name, length) : null;

        WeightTensor embedding = Matrix(n.Embedding, c.VocabSize, c.Dim);
        LayerWeights[] layers = new LayerWeights[c.Layers];
        for (int i = 0; i < c.Layers; i++)
        {
            string L(string p) => n.Layer(p, i);
            layers[i] = new LayerWeights
            {
                AttnNorm = Vector(L(n.AttnNorm), c.Dim),
                Wq = Matrix(L(n.Wq), c.QDim, c.Dim),
                Wk = Matrix(L(n.Wk), c.KvDim, c.Dim),
                Wv = Matrix(L(n.Wv), c.KvDim, c.Dim),
                Wo = Matrix(L(n.Wo), c.Dim, c.QDim),
                Bq = OptionalVector(L(n.Bq), c.QDim),
                Bk = OptionalVector(L(n.Bk), c.KvDim),
                Bv = OptionalVector(L(n.Bv), c.KvDim),
                FfnNorm = Vector(L(n.FfnNorm), c.Dim),
                WGate = Matrix(L(n.Gate), c.HiddenDim, c.Dim),
                WUp = Matrix(L(n.Up), c.HiddenDim, c.Dim),
                WDown = Matrix(L(n.Down), c.Dim, c.HiddenDim),
            };
            if (c.AttentionBias && (layers[i].Bq is null || layers[i].Bk is null || layers[i].Bv is null))
                throw new CriaFormatException(source, $"tensor '{L(n.Bq)}'", "attention_bias is set but the q/k/v biases are missing");
        }
        float[] finalNorm = Vector(n.FinalNorm, c.Dim);
        WeightTensor output = !c.TiedEmbeddings && tensors.ContainsKey(n.Output) ? Matrix(n.Output, c.VocabSize, c.Dim) : embedding;
        if (!c.TiedEmbeddings && ReferenceEquals(output, embedding))
            throw new CriaFormatException(source, $"tensor '{n.Output}'", "missing and tie_word_embeddings is false");

        if (optionalExtra != null) foreach (string extra in optionalExtra) used.Add(extra);
        string? unexpected = tensors.Keys.FirstOrDefault(k => !used.Contains(k) && IsLayerTensorBeyond(k, c.Layers));
        if (unexpected != null)
            throw new CriaFormatException(tensors[unexpected].File, $"tensor '{unexpected}'", $"belongs to a layer beyond the {c.Layers} the config declares");

        return new LlamaWeights { TokenEmbedding = embedding, Layers = layers, FinalNorm = finalNorm, Output = output };
    }

    private static bool IsLayerTensorBeyond(string name, int layers)
    {
        foreach (string prefix in new[] { "model.layers.", "blk." })
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int end = name.IndexOf('.', prefix.Length);
            if (end > 0 && int.TryParse(name.AsSpan(prefix.Length, end - prefix.Length), out int layer)) return layer >= layers;
        }
        return false;
    }
}

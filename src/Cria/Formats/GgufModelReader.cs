using Cria.Model;

namespace Cria.Formats;

/// <summary>Turns a GGUF file's llama metadata and tensors into a config and named tensors.</summary>
public static class GgufModelReader
{
    private static readonly string[] SupportedArchitectures = ["llama", "qwen2"];

    public static LlamaConfig ReadConfig(GgufFile g)
    {
        string path = g.Path;
        string arch = g.GetString("general.architecture") ?? throw new CriaFormatException(path, "general.architecture", "is missing");
        if (!SupportedArchitectures.Contains(arch))
            throw new CriaFormatException(path, "general.architecture", $"unsupported architecture '{arch}' (supported: {string.Join(", ", SupportedArchitectures)})");

        int Int(string key, int? fallback = null)
        {
            long? v = g.GetInteger($"{arch}.{key}");
            if (v is null) return fallback ?? throw new CriaFormatException(path, $"{arch}.{key}", "is required but missing");
            if (v < 0 || v > int.MaxValue) throw new CriaFormatException(path, $"{arch}.{key}", $"{v} is out of range");
            return (int)v.Value;
        }

        GgufTensorInfo embd = g.FindTensor("token_embd.weight") ?? throw new CriaFormatException(path, "tensor 'token_embd.weight'", "missing from the checkpoint");
        int vocabFromTensor = embd.Shape.Length == 2 ? (int)embd.Shape[1] : 0;
        int dim = Int("embedding_length");
        int heads = Int("attention.head_count");
        int headDim = Int("attention.key_length", 0);

        RopeScaling scaling = new(RopeScalingType.None);
        string? scalingType = g.GetString($"{arch}.rope.scaling.type");
        double? factor = g.GetDouble($"{arch}.rope.scaling.factor");
        if (scalingType == "linear" && factor is > 0) scaling = new RopeScaling(RopeScalingType.Linear, (float)factor.Value);
        else if (scalingType is not null and not "none" and not "linear")
            throw new CriaFormatException(path, $"{arch}.rope.scaling.type", $"unsupported RoPE scaling '{scalingType}' (supported: none, linear)");

        return new LlamaConfig
        {
            Architecture = arch,
            Dim = dim,
            HiddenDim = Int("feed_forward_length"),
            Layers = Int("block_count"),
            Heads = heads,
            KvHeads = Int("attention.head_count_kv", heads),
            HeadDim = headDim,
            RopeDim = Int("rope.dimension_count", 0),
            VocabSize = Int("vocab_size", vocabFromTensor),
            MaxSeqLen = Int("context_length"),
            NormEps = (float)(g.GetDouble($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5),
            RopeTheta = (float)(g.GetDouble($"{arch}.rope.freq_base") ?? 10000.0),
            RopeScaling = scaling,
            // llama.cpp's converter undoes the Hugging Face permutation for llama; qwen2 uses NEOX-style rotation.
            RopeLayout = arch == "qwen2" ? RopeLayout.Halves : RopeLayout.Interleaved,
            TiedEmbeddings = g.FindTensor("output.weight") is null,
            AttentionBias = g.FindTensor("blk.0.attn_q.bias") is not null,
        }.Normalize(path);
    }

    /// <summary>Tensors under their GGUF names, with shapes reversed into PyTorch order.</summary>
    public static Dictionary<string, TensorEntry> Tensors(GgufFile g)
    {
        Dictionary<string, TensorEntry> result = new(StringComparer.Ordinal);
        foreach (GgufTensorInfo t in g.Tensors)
        {
            long[] shape = t.Shape.Reverse().ToArray();
            unsafe { result[t.Name] = new TensorEntry(t.Name, t.Type, shape, (IntPtr)g.TensorData(t), t.ByteSize, g.Path); }
        }
        return result;
    }
}

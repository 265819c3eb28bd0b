using Cria.Model;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>
/// Karpathy's llama2.c "v0" checkpoint: seven int32s (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
/// vocab_size, seq_len) followed by fp32 arrays in a fixed order. A negative vocab_size means the classifier
/// is stored separately at the end instead of being shared with the embedding.
/// </summary>
public static class Llama2cReader
{
    public const int HeaderBytes = 7 * 4;

    /// <summary>Reads the header and maps the tensors under Hugging Face names (q/k rows stay interleaved).</summary>
    public static (LlamaConfig Config, Dictionary<string, TensorEntry> Tensors) Read(MappedFile file)
    {
        string path = file.Path;
        BoundedReader r = new(file);
        if (file.Length < HeaderBytes) throw new CriaFormatException(path, "header", $"file has {file.Length} bytes, fewer than the 28-byte llama2.c header");
        int dim = r.I32("dim"), hidden = r.I32("hidden_dim"), layers = r.I32("n_layers"), heads = r.I32("n_heads"),
            kvHeads = r.I32("n_kv_heads"), vocab = r.I32("vocab_size"), seqLen = r.I32("seq_len");
        bool shared = vocab > 0;
        vocab = Math.Abs(vocab);

        LlamaConfig config = new LlamaConfig
        {
            Dim = dim,
            HiddenDim = hidden,
            Layers = layers,
            Heads = heads,
            KvHeads = kvHeads,
            VocabSize = vocab,
            MaxSeqLen = seqLen,
            TiedEmbeddings = shared,
            RopeLayout = RopeLayout.Interleaved,
            NormEps = 1e-5f,
        }.Normalize(path);

        int hs = config.HeadDim;
        long kvDim = config.KvDim;
        Dictionary<string, TensorEntry> tensors = new(StringComparer.Ordinal);
        long offset = HeaderBytes;

        void Add(string name, params long[] shape)
        {
            long elements = 1;
            foreach (long d in shape) elements = checked(elements * d);
            long bytes = checked(elements * 4);
            if (offset > file.Length - bytes)
                throw new CriaFormatException(path, $"tensor '{name}'", $"needs {bytes} bytes at offset {offset} but the file ends at {file.Length} (truncated, or the header does not match the data)");
            unsafe { tensors[name] = new TensorEntry(name, DType.F32, shape, (IntPtr)(file.Pointer + offset), bytes, path); }
            offset += bytes;
        }

        void PerLayer(string pattern, params long[] shape)
        {
            for (int l = 0; l < layers; l++) Add(TensorNaming.HuggingFace.Layer(pattern, l), shape);
        }

        TensorNaming n = TensorNaming.HuggingFace;
        Add(n.Embedding, vocab, dim);
        PerLayer(n.AttnNorm, dim);
        PerLayer(n.Wq, heads * hs, dim);
        PerLayer(n.Wk, kvDim, dim);
        PerLayer(n.Wv, kvDim, dim);
        PerLayer(n.Wo, dim, heads * hs);
        PerLayer(n.FfnNorm, dim);
        PerLayer(n.Gate, hidden, dim);
        PerLayer(n.Down, dim, hidden);
        PerLayer(n.Up, hidden, dim);
        Add(n.FinalNorm, dim);
        // RoPE tables that older exports still carry; Cria computes its own.
        Add("freq_cis_real", seqLen, hs / 2);
        Add("freq_cis_imag", seqLen, hs / 2);
        if (!shared) Add(n.Output, vocab, dim);
        if (offset != file.Length)
            throw new CriaFormatException(path, "size", $"the header implies {offset} bytes but the file has {file.Length}");
        return (config, tensors);
    }
}

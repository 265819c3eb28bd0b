namespace Cria.Model;

/// <summary>Shape and hyper-parameters of a LLaMA-family decoder.</summary>
public sealed record LlamaConfig
{
    public required int Dim { get; init; }
    public required int HiddenDim { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxSeqLen { get; init; }
    public int HeadDim { get; init; }
    public int RopeDim { get; init; }
    public float NormEps { get; init; } = 1e-5f;
    public float RopeTheta { get; init; } = 10000f;
    public RopeScaling RopeScaling { get; init; } = new(RopeScalingType.None);
    public RopeLayout RopeLayout { get; init; } = RopeLayout.Interleaved;
    public bool TiedEmbeddings { get; init; }
    public bool AttentionBias { get; init; }
    public string Architecture { get; init; } = "llama";

    public int QDim => Heads * HeadDim;
    public int KvDim => KvHeads * HeadDim;

    /// <summary>Fills derived fields (head_dim, rope dims) and checks the shape is consistent.</summary>
    public LlamaConfig Normalize(string source)
    {
        int headDim = HeadDim > 0 ? HeadDim : (Heads > 0 ? Dim / Heads : 0);
        LlamaConfig c = this with { HeadDim = headDim, RopeDim = RopeDim > 0 ? RopeDim : headDim };
        c.Validate(source);
        return c;
    }

    private void Validate(string source)
    {
        void Check(bool ok, string field, string problem)
        {
            if (!ok) throw new Formats.CriaFormatException(source, field, problem);
        }

        const int Limit = 1 << 20;
        Check(Dim is > 0 and <= Limit, "dim", $"{Dim} is out of range");
        Check(HiddenDim is > 0 and <= Limit * 4, "hidden_dim", $"{HiddenDim} is out of range");
        Check(Layers is > 0 and <= 1024, "n_layers", $"{Layers} is out of range");
        Check(Heads is > 0 and <= 4096, "n_heads", $"{Heads} is out of range");
        Check(KvHeads is > 0 && KvHeads <= Heads && Heads % KvHeads == 0, "n_kv_heads", $"{KvHeads} must divide n_heads ({Heads})");
        Check(VocabSize is > 0 and <= 1 << 24, "vocab_size", $"{VocabSize} is out of range");
        Check(MaxSeqLen is > 0 and <= 1 << 24, "seq_len", $"{MaxSeqLen} is out of range");
        Check(HeadDim > 0 && HeadDim % 2 == 0, "head_dim", $"{HeadDim} must be positive and even");
        Check(RopeDim > 0 && RopeDim <= HeadDim && RopeDim % 2 == 0, "rope_dim", $"{RopeDim} must be even and at most head_dim ({HeadDim})");
        Check(NormEps > 0 && float.IsFinite(NormEps), "rms_norm_eps", $"{NormEps} must be positive");
        Check(RopeTheta > 0 && float.IsFinite(RopeTheta), "rope_theta", $"{RopeTheta} must be positive");
    }

    /// <summary>Parameter count (embedding counted once when tied).</summary>
    public long ParameterCount
    {
        get
        {
            long perLayer = 2L * Dim + (long)Dim * QDim * 2 + 2L * Dim * KvDim + 3L * Dim * HiddenDim;
            if (AttentionBias) perLayer += QDim + 2L * KvDim;
            long total = perLayer * Layers + (long)VocabSize * Dim + Dim;
            if (!TiedEmbeddings) total += (long)VocabSize * Dim;
            return total;
        }
    }
}

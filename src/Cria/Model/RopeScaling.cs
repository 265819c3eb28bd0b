namespace Cria.Model;

public enum RopeScalingType
{
    None,
    Linear,
    Llama3,
}

/// <summary>RoPE frequency scaling, as in Hugging Face's <c>rope_scaling</c>.</summary>
public sealed record RopeScaling(
    RopeScalingType Type,
    float Factor = 1f,
    float LowFreqFactor = 1f,
    float HighFreqFactor = 4f,
    int OriginalMaxPositions = 8192);

/// <summary>
/// Which dimensions RoPE rotates together. Checkpoints exported by Hugging Face store q/k rows permuted so
/// that dimension i pairs with i + d/2; GGUF and llama2.c keep adjacent pairs (2i, 2i+1).
/// Attention scores are the same either way as long as the rotation matches the row layout.
/// </summary>
public enum RopeLayout
{
    /// <summary>Pairs (2i, 2i+1): GGUF (llama), llama2.c, Meta's original checkpoints.</summary>
    Interleaved,

    /// <summary>Pairs (i, i + d/2): Hugging Face "rotate_half"; GGUF's NEOX style (qwen2).</summary>
    Halves,
}

namespace Cria.Lineage;

/// <summary>What the weights say about two models' ancestry.</summary>
public enum LineageVerdict
{
    /// <summary>One model was built from the other's weights (fine-tuned, quantized, converted, permuted, rotated…).</summary>
    Derived,

    /// <summary>The weights share no more than unrelated initializations do.</summary>
    Independent,

    /// <summary>The evidence is too weak either way, or the models cannot be compared (the reason says why).</summary>
    Inconclusive,
}

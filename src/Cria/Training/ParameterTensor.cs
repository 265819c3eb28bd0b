namespace Cria.Training;

/// <summary>
/// One trainable tensor inside a <see cref="ParameterSet"/>: a [Rows][Cols] view at <see cref="Offset"/> of the
/// flat parameter, gradient and optimizer-moment buffers. Vectors (norm weights) have Rows = 1.
/// </summary>
public sealed record ParameterTensor(string Name, long Offset, int Rows, int Cols, bool IsMatrix)
{
    public long Elements => (long)Rows * Cols;

    /// <summary>AdamW decays 2-D tensors only (matrices and embeddings), never norm gains.</summary>
    public bool Decays => IsMatrix;
}

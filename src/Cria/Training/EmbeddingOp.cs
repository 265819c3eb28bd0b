namespace Cria.Training;

/// <summary>Token embedding lookup and its backward (a scatter-add into the rows of the used tokens).</summary>
public static unsafe class EmbeddingOp
{
    public static void Forward(ReadOnlySpan<int> tokens, float* table, int dim, float* x)
    {
        for (int t = 0; t < tokens.Length; t++)
            new ReadOnlySpan<float>(table + (long)tokens[t] * dim, dim).CopyTo(new Span<float>(x + (long)t * dim, dim));
    }

    /// <summary>dTable[token] += dx[t], in token order so repeated tokens always sum the same way.</summary>
    public static void Backward(ReadOnlySpan<int> tokens, float* dx, int dim, float* dTable)
    {
        for (int t = 0; t < tokens.Length; t++) TrainKernels.Add(dTable + (long)tokens[t] * dim, dx + (long)t * dim, dim);
    }
}

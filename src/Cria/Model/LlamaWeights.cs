namespace Cria.Model;

/// <summary>Weights of one decoder block. Norm vectors and biases are small and kept as float arrays.</summary>
public sealed class LayerWeights
{
    public required float[] AttnNorm { get; init; }
    public required WeightTensor Wq { get; init; }
    public required WeightTensor Wk { get; init; }
    public required WeightTensor Wv { get; init; }
    public required WeightTensor Wo { get; init; }
    public float[]? Bq { get; init; }
    public float[]? Bk { get; init; }
    public float[]? Bv { get; init; }
    public required float[] FfnNorm { get; init; }
    public required WeightTensor WGate { get; init; }
    public required WeightTensor WUp { get; init; }
    public required WeightTensor WDown { get; init; }

    public IEnumerable<WeightTensor> Matrices => [Wq, Wk, Wv, Wo, WGate, WUp, WDown];
}

/// <summary>All weights of a LLaMA-family model; matrices point into the checkpoint's memory map.</summary>
public sealed class LlamaWeights : IDisposable
{
    public required WeightTensor TokenEmbedding { get; init; }
    public required LayerWeights[] Layers { get; init; }
    public required float[] FinalNorm { get; init; }
    public required WeightTensor Output { get; init; }

    /// <summary>Per-pair divisors of the RoPE frequencies (GGUF's rope_freqs tensor for LLaMA-3 scaling).</summary>
    public float[]? RopeFreqFactors { get; init; }

    /// <summary>Objects (memory maps, owned tensors) that must live as long as the weights.</summary>
    public List<IDisposable> Owners { get; } = new();

    public IEnumerable<WeightTensor> Matrices
    {
        get
        {
            yield return TokenEmbedding;
            foreach (LayerWeights l in Layers)
                foreach (WeightTensor m in l.Matrices) yield return m;
            if (!ReferenceEquals(Output, TokenEmbedding)) yield return Output;
        }
    }

    public void Dispose()
    {
        foreach (WeightTensor m in Matrices) m.Dispose();
        foreach (IDisposable d in Owners) d.Dispose();
        Owners.Clear();
    }
}

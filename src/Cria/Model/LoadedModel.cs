using Cria.Text;

namespace Cria.Model;

/// <summary>A checkpoint opened for inference: config, weights over memory maps, tokenizer and defaults.</summary>
public sealed class LoadedModel : IDisposable
{
    public required string Path { get; init; }

    /// <summary>"gguf", "hf" or "llama2c".</summary>
    public required string Format { get; init; }

    public required LlamaConfig Config { get; init; }
    public required LlamaWeights Weights { get; init; }
    public ITokenizer? Tokenizer { get; set; }

    /// <summary>The model's own Jinja chat template, when it ships one.</summary>
    public string? ChatTemplate { get; set; }

    public GenerationDefaults Defaults { get; init; } = new();

    /// <summary>The tensor names the file used, when they differ from its format's usual ones (e.g. ln1/ln2 norms).</summary>
    public TensorNaming? Naming { get; init; }

    /// <summary>Bytes of all matrices and vectors in their stored types.</summary>
    public long WeightBytes => Weights.Matrices.Sum(m => m.ByteLength);

    public void Dispose() => Weights.Dispose();
}

using Cria.Formats;
using Cria.Hub;
using Cria.Text;

namespace Cria.Cli.Commands;

/// <summary>A tokenizer and the file or folder it came from (copied into checkpoints).</summary>
public sealed record TokenizerSource(ITokenizer Tokenizer, string? Path)
{
    /// <summary>
    /// Reads a tokenizer from a tokenizer file/folder or from a model: a llama2.c model .bin gives the
    /// tokenizer.bin beside it, a GGUF its embedded vocabulary.
    /// </summary>
    public static TokenizerSource Load(string path)
    {
        path = HubModels.ResolvePath(path);
        if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer or model not found");
        string name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        if (File.Exists(path) && name.EndsWith(".bin", StringComparison.Ordinal) && !name.StartsWith("tok", StringComparison.Ordinal))
        {
            using var m = ModelLoader.Load(path);
            return new TokenizerSource(m.Tokenizer ?? throw new ArgumentException($"{path}: no tokenizer found beside the model"), BesideLlama2c(path, m.Config.VocabSize));
        }
        return new TokenizerSource(TokenizerLoader.Load(path), path);
    }

    /// <summary>The tokenizer file ModelLoader uses for a llama2.c model.</summary>
    public static string? BesideLlama2c(string modelPath, int vocab)
    {
        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath))!;
        return new[] { "tokenizer.bin", $"tok{vocab}.bin" }.Select(n => System.IO.Path.Combine(dir, n)).FirstOrDefault(File.Exists);
    }
}

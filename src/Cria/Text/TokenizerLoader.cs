using System.Text;
using Cria.Formats;

namespace Cria.Text;

/// <summary>Finds and reads the tokenizer of a model in any of the layouts Cria accepts.</summary>
public static class TokenizerLoader
{
    /// <summary>llama2.c's tokenizer.bin; <paramref name="vocabSize"/> comes from the model header (the file has no count).</summary>
    public static LoadedTokenizer FromLlama2cBin(string path, int vocabSize) =>
        new(Llama2cTokenizerReader.Read(path, vocabSize), null, $"{path} (llama2.c tokenizer)");

    /// <summary>The tokenizer in a GGUF file's metadata (<c>tokenizer.ggml.model</c> "llama" or "gpt2").</summary>
    public static LoadedTokenizer FromGguf(GgufFile gguf)
    {
        ITokenizer t = GgufTokenizerReader.Read(gguf);
        return new(t, gguf.GetString(GgufTokenizerReader.ChatTemplateKey), $"{gguf.Path} (GGUF {gguf.GetString(GgufTokenizerReader.ModelKey)})");
    }

    /// <summary>A SentencePiece tokenizer.model on its own.</summary>
    public static LoadedTokenizer FromSentencePieceModel(string path) =>
        new(SentencePieceModelReader.Read(path), null, $"{path} (SentencePiece BPE)");

    /// <summary>
    /// A Hugging Face model folder: tokenizer.json when present, else tokenizer.model; special tokens and the
    /// chat template from tokenizer_config.json, eos ids from config.json and generation_config.json.
    /// </summary>
    public static LoadedTokenizer FromHfFolder(string dir)
    {
        string json = Path.Combine(dir, "tokenizer.json");
        string model = Path.Combine(dir, "tokenizer.model");
        if (File.Exists(json)) return FromHfFile(json);
        if (File.Exists(model)) return FromHfFile(model);
        throw new CriaFormatException(dir, "tokenizer", "the folder has neither tokenizer.json nor tokenizer.model");
    }

    /// <summary>
    /// Reads whatever <paramref name="path"/> is: a model folder, a GGUF file, a tokenizer.json, a SentencePiece
    /// .model, or else a llama2.c tokenizer.bin (read to its end when <paramref name="vocabSizeHint"/> is null).
    /// </summary>
    public static LoadedTokenizer Load(string path, int? vocabSizeHint = null)
    {
        if (Directory.Exists(path)) return FromHfFolder(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"tokenizer not found: {path}", path);
        if (StartsWithGgufMagic(path))
        {
            using GgufFile gguf = GgufFile.Open(path);
            return FromGguf(gguf);
        }
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".json" or ".model") return FromHfFile(path);
        return vocabSizeHint is int n ? FromLlama2cBin(path, n) : new(Llama2cTokenizerReader.Read(path, null), null, $"{path} (llama2.c tokenizer)");
    }

    /// <summary>A tokenizer.json or tokenizer.model, with the Hugging Face config files that sit next to it.</summary>
    private static LoadedTokenizer FromHfFile(string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var (overrides, template) = HfConfigFiles.Read(dir);
        if (Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            ITokenizer t = HfTokenizerJsonReader.Read(path, overrides);
            string kind = t is ByteLevelBpeTokenizer ? "byte-level BPE" : "SentencePiece-style BPE";
            return new(t, template, $"{path} ({kind})");
        }
        return new(SentencePieceModelReader.Read(path, overrides), template, $"{path} (SentencePiece BPE)");
    }

    private static bool StartsWithGgufMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using FileStream f = File.OpenRead(path);
        return f.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && Encoding.ASCII.GetString(head) == "GGUF";
    }
}

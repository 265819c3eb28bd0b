using Cria.Hub;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Formats;

/// <summary>
/// Opens any supported checkpoint: a .gguf file, a llama2.c .bin file, or a Hugging Face folder
/// (config.json + model.safetensors or a sharded index). The tokenizer is found beside the model
/// unless one is given. A name such as <c>org/name</c> that is not a local path opens the model pulled into the
/// Hugging Face cache (<see cref="HubModels"/>).
/// </summary>
public static class ModelLoader
{
    /// <param name="path">A model file or folder, or a pulled model's name (org/name[@revision]) in the Hugging Face cache.</param>
    public static LoadedModel Load(string path, string? tokenizerPath = null, bool loadTokenizer = true)
    {
        path = HubModels.ResolvePath(path);
        if (tokenizerPath != null) tokenizerPath = HubModels.ResolvePath(tokenizerPath);
        LoadedModel model;
        if (Directory.Exists(path)) model = LoadHfFolder(path);
        else if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder", path);
        else if (IsGguf(path)) model = LoadGguf(path, loadTokenizer && tokenizerPath == null);
        else if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) model = LoadHfFolder(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        else model = LoadLlama2c(path);

        try
        {
            if (tokenizerPath != null)
            {
                LoadedTokenizer lt = TokenizerLoader.Load(tokenizerPath, model.Config.VocabSize);
                model.Tokenizer = lt;
                model.ChatTemplate ??= lt.ChatTemplateSource;
            }
            else if (loadTokenizer && model.Tokenizer is null) model.Tokenizer = FindTokenizer(path, model);
            if (model.Tokenizer != null && model.Tokenizer.VocabSize > model.Config.VocabSize)
                throw new CriaFormatException(tokenizerPath ?? path, "vocab_size", $"the tokenizer has {model.Tokenizer.VocabSize} tokens but the model only {model.Config.VocabSize}");
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    private static bool IsGguf(string path)
    {
        using FileStream s = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        return s.Read(magic) == 4 && magic.SequenceEqual("GGUF"u8);
    }

    private static LoadedModel LoadGguf(string path, bool loadTokenizer)
    {
        GgufFile g = GgufFile.Open(path);
        try
        {
            LlamaConfig config = GgufModelReader.ReadConfig(g);
            Dictionary<string, TensorEntry> tensors = GgufModelReader.Tensors(g);
            float[]? ropeFactors = null;
            if (tensors.TryGetValue("rope_freqs.weight", out TensorEntry? rf))
            {
                ropeFactors = new float[rf.Elements];
                unsafe { Dequantize.Row(rf.Type, rf.Pointer, ropeFactors); }
            }
            LlamaWeights w = WeightsBuilder.Build(config, tensors, TensorNaming.Gguf, path, ["rope_freqs.weight"]);
            LlamaWeights weights = new()
            {
                TokenEmbedding = w.TokenEmbedding,
                Layers = w.Layers,
                FinalNorm = w.FinalNorm,
                Output = w.Output,
                RopeFreqFactors = ropeFactors,
            };
            weights.Owners.Add(g);
            LoadedModel model = new() { Path = path, Format = "gguf", Config = config, Weights = weights };
            if (loadTokenizer && g.GetStringArray("tokenizer.ggml.tokens") != null)
            {
                LoadedTokenizer lt = TokenizerLoader.FromGguf(g);
                model.Tokenizer = lt;
                model.ChatTemplate = lt.ChatTemplateSource;
            }
            return model;
        }
        catch
        {
            g.Dispose();
            throw;
        }
    }

    private static LoadedModel LoadLlama2c(string path)
    {
        MappedFile file = MappedFile.Open(path);
        try
        {
            var (config, tensors) = Llama2cReader.Read(file);
            LlamaWeights weights = WeightsBuilder.Build(config, tensors, TensorNaming.HuggingFace, path, ["freq_cis_real", "freq_cis_imag"]);
            weights.Owners.Add(file);
            return new LoadedModel { Path = path, Format = "llama2c", Config = config, Weights = weights };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static LoadedModel LoadHfFolder(string dir)
    {
        string configPath = System.IO.Path.Combine(dir, "config.json");
        if (!File.Exists(configPath)) throw new CriaFormatException(dir, "config.json", "missing: a Hugging Face model folder needs config.json");
        var (config, eosIds, bosId) = HfConfigReader.Read(configPath);

        List<MappedFile> maps = new();
        try
        {
            Dictionary<string, TensorEntry> tensors = new(StringComparer.Ordinal);
            string single = System.IO.Path.Combine(dir, "model.safetensors");
            string index = System.IO.Path.Combine(dir, "model.safetensors.index.json");
            if (File.Exists(single))
            {
                MappedFile m = MappedFile.Open(single);
                maps.Add(m);
                foreach (var kv in SafetensorsFile.Read(m)) tensors[kv.Key] = kv.Value;
            }
            else if (File.Exists(index))
            {
                foreach (var (shard, names) in ShardIndex.Read(index))
                {
                    string shardPath = System.IO.Path.Combine(dir, shard);
                    if (!File.Exists(shardPath)) throw new CriaFormatException(index, "weight_map", $"names shard '{shard}', which does not exist");
                    MappedFile m = MappedFile.Open(shardPath);
                    maps.Add(m);
                    Dictionary<string, TensorEntry> inShard = SafetensorsFile.Read(m);
                    foreach (string name in names)
                    {
                        if (!inShard.TryGetValue(name, out TensorEntry? e))
                            throw new CriaFormatException(shardPath, $"tensor '{name}'", $"listed in {System.IO.Path.GetFileName(index)} but absent from the shard");
                        if (!tensors.TryAdd(name, e)) throw new CriaFormatException(index, $"tensor '{name}'", "is mapped to more than one shard");
                    }
                }
            }
            else throw new CriaFormatException(dir, "model.safetensors", "missing: neither model.safetensors nor model.safetensors.index.json exists");

            TensorNaming naming = TensorNaming.HuggingFaceFor(tensors);
            LlamaWeights weights = WeightsBuilder.Build(config, tensors, naming, dir, ["model.rotary_emb.inv_freq"]);
            weights.Owners.AddRange(maps);
            GenerationDefaults defaults = new() { EosIds = eosIds, BosId = bosId };
            string genPath = System.IO.Path.Combine(dir, "generation_config.json");
            if (File.Exists(genPath))
            {
                GenerationDefaults g = HfConfigReader.ReadGenerationConfig(genPath);
                defaults = g with { EosIds = g.EosIds.Length > 0 ? g.EosIds : eosIds, BosId = g.BosId ?? bosId };
            }
            return new LoadedModel { Path = dir, Format = "hf", Config = config, Weights = weights, Defaults = defaults, Naming = naming };
        }
        catch
        {
            foreach (MappedFile m in maps) m.Dispose();
            throw;
        }
    }

    private static ITokenizer? FindTokenizer(string modelPath, LoadedModel model)
    {
        if (model.Format == "hf")
        {
            // Checkpoints Cria trains from llama2.c models carry their tokenizer.bin instead of tokenizer.model.
            string bin = System.IO.Path.Combine(modelPath, "tokenizer.bin");
            if (File.Exists(bin) && !File.Exists(System.IO.Path.Combine(modelPath, "tokenizer.json")) && !File.Exists(System.IO.Path.Combine(modelPath, "tokenizer.model")))
                return TokenizerLoader.FromLlama2cBin(bin, model.Config.VocabSize);
            LoadedTokenizer lt = TokenizerLoader.FromHfFolder(modelPath);
            model.ChatTemplate ??= lt.ChatTemplateSource;
            return lt;
        }
        if (model.Format == "llama2c")
        {
            string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath))!;
            // llama2.c keeps tokenizer.bin beside the model; the tinyllamas use tok<N>.bin for a vocabulary of N.
            foreach (string name in new[] { "tokenizer.bin", $"tok{model.Config.VocabSize}.bin" })
            {
                string candidate = System.IO.Path.Combine(dir, name);
                if (File.Exists(candidate)) return TokenizerLoader.FromLlama2cBin(candidate, model.Config.VocabSize);
            }
        }
        return null;
    }
}

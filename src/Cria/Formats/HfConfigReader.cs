using System.Text.Json;
using Cria.Model;

namespace Cria.Formats;

/// <summary>Reads a Hugging Face config.json for LLaMA-family architectures.</summary>
public static class HfConfigReader
{
    private static readonly Dictionary<string, string> Architectures = new(StringComparer.Ordinal)
    {
        ["LlamaForCausalLM"] = "llama",
        ["MistralForCausalLM"] = "llama",
        ["Qwen2ForCausalLM"] = "qwen2",
    };

    public static (LlamaConfig Config, int[] EosIds, int? BosId) Read(string path)
    {
        using JsonDocument doc = JsonFields.Parse(path);
        JsonFields f = new(doc.RootElement, path);
        string arch = ArchitectureOf(f);

        int dim = f.Int("hidden_size");
        int heads = f.Int("num_attention_heads");
        LlamaConfig config = new LlamaConfig
        {
            Architecture = arch,
            Dim = dim,
            HiddenDim = f.Int("intermediate_size"),
            Layers = f.Int("num_hidden_layers"),
            Heads = heads,
            KvHeads = f.Int("num_key_value_heads", heads),
            HeadDim = f.Int("head_dim", 0),
            VocabSize = f.Int("vocab_size"),
            MaxSeqLen = f.Int("max_position_embeddings", 2048),
            NormEps = f.Float("rms_norm_eps", 1e-6f),
            RopeTheta = f.Float("rope_theta", 10000f),
            RopeScaling = ReadRopeScaling(f),
            RopeLayout = RopeLayout.Halves,
            TiedEmbeddings = f.Bool("tie_word_embeddings", false),
            AttentionBias = f.Bool("attention_bias", arch == "qwen2"),
        }.Normalize(path);
        int? bos = f.Has("bos_token_id") ? f.IntOrList("bos_token_id").FirstOrDefault() : null;
        return (config, f.IntOrList("eos_token_id"), bos);
    }

    private static string ArchitectureOf(JsonFields f)
    {
        if (f.Get("architectures") is { ValueKind: JsonValueKind.Array } archs)
        {
            foreach (JsonElement a in archs.EnumerateArray())
                if (a.GetString() is string name && Architectures.TryGetValue(name, out string? kind)) return kind;
            string listed = string.Join(", ", archs.EnumerateArray().Select(a => a.ToString()));
            throw new CriaFormatException(f.Path, "architectures", $"unsupported architecture [{listed}] (supported: {string.Join(", ", Architectures.Keys)})");
        }
        string? modelType = f.String("model_type");
        return modelType switch
        {
            "llama" or "mistral" => "llama",
            "qwen2" => "qwen2",
            null => throw new CriaFormatException(f.Path, "architectures", "neither architectures nor model_type is given"),
            _ => throw new CriaFormatException(f.Path, "model_type", $"unsupported model_type '{modelType}' (supported: llama, mistral, qwen2)"),
        };
    }

    private static RopeScaling ReadRopeScaling(JsonFields f)
    {
        if (f.Get("rope_scaling") is not { ValueKind: JsonValueKind.Object }) return new RopeScaling(RopeScalingType.None);
        JsonFields s = f.Child("rope_scaling");
        string type = s.String("rope_type") ?? s.String("type") ?? "default";
        return type switch
        {
            "default" => new RopeScaling(RopeScalingType.None),
            "linear" => new RopeScaling(RopeScalingType.Linear, s.Float("factor", 1f)),
            "llama3" => new RopeScaling(RopeScalingType.Llama3, s.Float("factor", 8f), s.Float("low_freq_factor", 1f),
                s.Float("high_freq_factor", 4f), s.Int("original_max_position_embeddings", 8192)),
            _ => throw new CriaFormatException(f.Path, "rope_scaling.rope_type", $"unsupported RoPE scaling '{type}' (supported: linear, llama3)"),
        };
    }

    public static GenerationDefaults ReadGenerationConfig(string path)
    {
        using JsonDocument doc = JsonFields.Parse(path);
        JsonFields f = new(doc.RootElement, path);
        return new GenerationDefaults
        {
            Temperature = f.Has("temperature") ? f.Float("temperature", 1f) : null,
            TopP = f.Has("top_p") ? f.Float("top_p", 1f) : null,
            TopK = f.Has("top_k") ? f.Int("top_k") : null,
            RepetitionPenalty = f.Has("repetition_penalty") ? f.Float("repetition_penalty", 1f) : null,
            MaxNewTokens = f.Has("max_new_tokens") ? f.Int("max_new_tokens") : null,
            DoSample = f.Has("do_sample") ? f.Bool("do_sample", false) : null,
            EosIds = f.IntOrList("eos_token_id"),
            BosId = f.Has("bos_token_id") ? f.IntOrList("bos_token_id").FirstOrDefault() : null,
        };
    }
}

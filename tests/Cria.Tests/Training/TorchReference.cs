using System.Text.Json;
using Cria.Text;

namespace Cria.Tests.Training;

/// <summary>train_step_reference.json (10 AdamW steps in PyTorch from stories260K) and its batch.</summary>
internal sealed class TorchReference
{
    public required int[] FirstRow { get; init; }
    public required float InitialLoss { get; init; }
    public required float[] LossBefore { get; init; }
    public required float[] NormBefore { get; init; }
    public required Dictionary<string, float> GradNorms { get; init; }

    public static TorchReference Load()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path_("reference/stories260K/train_step_reference.json")));
        JsonElement r = doc.RootElement;
        return new TorchReference
        {
            FirstRow = r.GetProperty("batch_x_first_row").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            InitialLoss = r.GetProperty("initial_loss").GetSingle(),
            LossBefore = r.GetProperty("losses").EnumerateArray().Select(e => e.GetProperty("loss_before_update").GetSingle()).ToArray(),
            NormBefore = r.GetProperty("losses").EnumerateArray().Select(e => e.GetProperty("total_grad_norm_pre_clip").GetSingle()).ToArray(),
            GradNorms = r.GetProperty("grad_l2_norms_pre_clip").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetSingle()),
        };
    }

    /// <summary>The stories of tinystories_sample.txt, each [BOS] + tok512 ids, concatenated in order.</summary>
    public static int[] TokenStream()
    {
        ITokenizer tok = TokenizerLoader.FromLlama2cBin(Fixtures.Path_("models/stories260K/tok512.bin"), 512);
        string text = File.ReadAllText(Fixtures.Path_("data/text/tinystories_sample.txt"));
        return text.Split("<|endoftext|>").Select(s => s.Trim()).Where(s => s.Length > 0)
            .SelectMany(s => tok.Encode(s, addBos: true)).ToArray();
    }

    /// <summary>llama2.c model.py's parameter name → Cria's (Hugging Face) name.</summary>
    public static string CriaName(string torchName)
    {
        if (torchName == "tok_embeddings.weight") return "model.embed_tokens.weight";
        if (torchName == "norm.weight") return "model.norm.weight";
        if (torchName == "output.weight") return "lm_head.weight";
        string[] parts = torchName.Split('.');
        string layer = $"model.layers.{parts[1]}.";
        return layer + (parts[2], parts.Length > 3 ? parts[3] : "") switch
        {
            ("attention", "wq") => "self_attn.q_proj.weight",
            ("attention", "wk") => "self_attn.k_proj.weight",
            ("attention", "wv") => "self_attn.v_proj.weight",
            ("attention", "wo") => "self_attn.o_proj.weight",
            ("feed_forward", "w1") => "mlp.gate_proj.weight",
            ("feed_forward", "w2") => "mlp.down_proj.weight",
            ("feed_forward", "w3") => "mlp.up_proj.weight",
            ("attention_norm", _) => "input_layernorm.weight",
            ("ffn_norm", _) => "post_attention_layernorm.weight",
            _ => throw new ArgumentException($"unknown parameter {torchName}"),
        };
    }
}

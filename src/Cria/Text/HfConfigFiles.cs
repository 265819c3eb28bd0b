using System.Text.Json;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// What a Hugging Face model folder says about its tokenizer outside tokenizer.json: special tokens and
/// add_bos_token in tokenizer_config.json, eos ids in config.json / generation_config.json, and the chat template.
/// </summary>
internal static class HfConfigFiles
{
    public static (SpecialTokenOverrides Overrides, string? ChatTemplate) Read(string dir)
    {
        SpecialTokenOverrides o = SpecialTokenOverrides.None;
        string? template = null;
        List<string> eosTokens = new();
        List<int> eosIds = new();

        string tokenizerConfig = Path.Combine(dir, "tokenizer_config.json");
        if (File.Exists(tokenizerConfig))
        {
            using JsonDocument doc = HfJson.Parse(tokenizerConfig);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CriaFormatException(tokenizerConfig, "(root)", "expected a JSON object");
            if (root.TryGetProperty("bos_token", out JsonElement bos))
                o = o with { HasBosToken = true, BosToken = HfJson.TokenText(bos) };
            if (HfJson.TokenText(HfJson.Element(root, "eos_token")) is string eos) eosTokens.Add(eos);
            if (HfJson.Bool(root, "add_bos_token") is bool addBos) o = o with { AddBos = addBos };
            template = ChatTemplateOf(HfJson.Element(root, "chat_template"));
        }

        foreach (string name in new[] { "config.json", "generation_config.json" })
        {
            string file = Path.Combine(dir, name);
            if (!File.Exists(file)) continue;
            using JsonDocument doc = HfJson.Parse(file);
            eosIds.AddRange(HfJson.Ids(HfJson.Element(doc.RootElement, "eos_token_id")));
            if (!o.HasBosToken && o.BosId == null && HfJson.Ids(HfJson.Element(doc.RootElement, "bos_token_id")).FirstOrDefault(-1) is int b and >= 0)
                o = o with { BosId = b };
        }

        // Newer transformers save the template as its own file instead of inside tokenizer_config.json.
        string jinja = Path.Combine(dir, "chat_template.jinja");
        if (File.Exists(jinja)) template = File.ReadAllText(jinja);

        return (o with { EosTokens = eosTokens, EosIds = eosIds }, template);
    }

    /// <summary>chat_template is a string, or a list of {name, template} of which "default" is the chat one.</summary>
    private static string? ChatTemplateOf(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String) return e.GetString();
        if (e.ValueKind != JsonValueKind.Array) return null;
        string? first = null;
        foreach (JsonElement t in e.EnumerateArray())
        {
            string? text = HfJson.String(t, "template");
            if (HfJson.String(t, "name") == "default") return text;
            first ??= text;
        }
        return first;
    }
}

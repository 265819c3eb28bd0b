using System.Text.Json;

namespace Cria.Formats;

/// <summary>model.safetensors.index.json: which shard file holds each tensor.</summary>
public static class ShardIndex
{
    public static IEnumerable<(string Shard, List<string> Names)> Read(string path)
    {
        using JsonDocument doc = JsonFields.Parse(path);
        if (!doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            throw new CriaFormatException(path, "weight_map", "is missing or not an object");
        Dictionary<string, List<string>> byShard = new(StringComparer.Ordinal);
        foreach (JsonProperty p in map.EnumerateObject())
        {
            string shard = p.Value.GetString() ?? throw new CriaFormatException(path, $"weight_map.{p.Name}", "must be a file name");
            if (shard.Contains('/') || shard.Contains('\\') || shard.Contains(".."))
                throw new CriaFormatException(path, $"weight_map.{p.Name}", $"shard '{shard}' must be a plain file name in the same folder");
            if (!byShard.TryGetValue(shard, out List<string>? names)) byShard[shard] = names = new();
            names.Add(p.Name);
        }
        return byShard.Select(kv => (kv.Key, kv.Value)).ToList();
    }
}

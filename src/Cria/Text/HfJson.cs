using System.Text.Json;
using Cria.Formats;

namespace Cria.Text;

/// <summary>Tolerant accessors for Hugging Face's JSON files, where most fields are optional or null.</summary>
internal static class HfJson
{
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CriaFormatException(path, "json", $"not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>The property, or an Undefined element when the object lacks it or is not an object.</summary>
    public static JsonElement Element(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out JsonElement e) ? e : default;

    public static string? String(JsonElement obj, string name) =>
        Element(obj, name) is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;

    public static bool? Bool(JsonElement obj, string name) => Element(obj, name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>The parts of a component that may be a "Sequence" of others (normalizers, pre-tokenizers, processors).</summary>
    public static IEnumerable<JsonElement> Components(JsonElement component, string sequenceField)
    {
        if (component.ValueKind != JsonValueKind.Object) yield break;
        if (String(component, "type") == "Sequence" && Element(component, sequenceField) is { ValueKind: JsonValueKind.Array } parts)
        {
            foreach (JsonElement p in parts.EnumerateArray())
                foreach (JsonElement inner in Components(p, sequenceField))
                    yield return inner;
        }
        else
        {
            yield return component;
        }
    }

    /// <summary>A token given as a string or as an AddedToken object with "content"; null when absent or null.</summary>
    public static string? TokenText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Object => String(e, "content"),
        _ => null,
    };

    /// <summary>Integer ids given as one number or a list of numbers (eos_token_id in config.json).</summary>
    public static IEnumerable<int> Ids(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int one)) yield return one;
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement x in e.EnumerateArray())
                if (x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int id)) yield return id;
        }
    }
}

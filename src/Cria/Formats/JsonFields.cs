using System.Text.Json;

namespace Cria.Formats;

/// <summary>Typed access to JSON config fields with errors that name the file and the field.</summary>
internal sealed class JsonFields
{
    private readonly JsonElement _root;
    public string Path { get; }

    public JsonFields(JsonElement root, string path)
    {
        _root = root;
        Path = path;
    }

    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new CriaFormatException(path, $"line {e.LineNumber + 1}", $"is not valid JSON ({e.Message})");
        }
    }

    public bool Has(string name) => _root.ValueKind == JsonValueKind.Object && _root.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Get(string name) => Has(name) ? _root.GetProperty(name) : null;

    public int Int(string name, int? fallback = null)
    {
        if (!Has(name))
            return fallback ?? throw new CriaFormatException(Path, name, "is required but missing");
        JsonElement v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i))
            throw new CriaFormatException(Path, name, $"must be an integer, found {v.GetRawText()}");
        return i;
    }

    public float Float(string name, float fallback)
    {
        if (!Has(name)) return fallback;
        JsonElement v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Number) throw new CriaFormatException(Path, name, $"must be a number, found {v.GetRawText()}");
        return (float)v.GetDouble();
    }

    public bool Bool(string name, bool fallback)
    {
        if (!Has(name)) return fallback;
        JsonElement v = _root.GetProperty(name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new CriaFormatException(Path, name, $"must be true or false, found {v.GetRawText()}"),
        };
    }

    public string? String(string name)
    {
        if (!Has(name)) return null;
        JsonElement v = _root.GetProperty(name);
        if (v.ValueKind != JsonValueKind.String) throw new CriaFormatException(Path, name, $"must be a string, found {v.GetRawText()}");
        return v.GetString();
    }

    /// <summary>An id given as an int or a list of ints (eos_token_id in newer configs).</summary>
    public int[] IntOrList(string name)
    {
        if (!Has(name)) return [];
        JsonElement v = _root.GetProperty(name);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int single)) return [single];
        if (v.ValueKind == JsonValueKind.Array)
        {
            List<int> ids = new();
            foreach (JsonElement e in v.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int id)) throw new CriaFormatException(Path, name, $"must hold integers, found {e.GetRawText()}");
                ids.Add(id);
            }
            return ids.ToArray();
        }
        throw new CriaFormatException(Path, name, $"must be an integer or a list of integers, found {v.GetRawText()}");
    }

    public JsonFields Child(string name) => new(_root.GetProperty(name), Path + ":" + name);
}

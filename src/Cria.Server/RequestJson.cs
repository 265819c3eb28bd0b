using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Cria.Server;

/// <summary>
/// Reads an OpenAI request body field by field, so every malformed value becomes a 400 that names the field
/// and what was expected (instead of a generic deserializer message or a 500).
/// </summary>
internal readonly struct RequestJson(JsonElement root)
{
    public JsonElement Root { get; } = root;

    public static async Task<(JsonDocument Doc, RequestJson Json)> ReadAsync(HttpRequest request, CancellationToken cancel)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, cancel);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The request body is not valid JSON: {e.Message}", null, "invalid_json");
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, $"The request body could not be read: {e.Message}");
        }
        JsonValueKind kind = doc.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw ApiException.BadRequest($"The request body must be a JSON object, got {Kind(kind)}", null, "invalid_json");
        }
        return (doc, new RequestJson(doc.RootElement));
    }

    private bool TryGet(string name, out JsonElement value) =>
        Root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string name)
    {
        if (!TryGet(name, out JsonElement v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw WrongType(name, "a string", v);
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out JsonElement v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "a boolean", v),
        };
    }

    public long? Integer(string name, long min, long max)
    {
        if (!TryGet(name, out JsonElement v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw WrongType(name, "an integer", v);
        if (!v.TryGetInt64(out long x))
        {
            // 1.0 is an integer in JSON's eyes; 1.5 and 1e30 are not.
            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue) x = (long)d;
            else throw ApiException.BadRequest($"'{name}' must be an integer, got {v.GetRawText()}", name);
        }
        if (x < min || x > max) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}, got {x}", name);
        return x;
    }

    public float? Number(string name, double min, double max)
    {
        if (!TryGet(name, out JsonElement v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw WrongType(name, "a number", v);
        double d = v.GetDouble();
        if (!(d >= min && d <= max)) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}, got {v.GetRawText()}", name);
        return (float)d;
    }

    /// <summary>"stop": a string or an array of strings.</summary>
    public IReadOnlyList<string> Stop()
    {
        if (!TryGet("stop", out JsonElement v)) return [];
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) throw WrongType("stop", "a string or an array of strings", v);
        List<string> list = new();
        int i = 0;
        foreach (JsonElement e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String) throw WrongType($"stop[{i}]", "a string", e);
            list.Add(e.GetString()!);
            i++;
        }
        return list;
    }

    /// <summary>The settings shared by chat and completions; "n" other than 1 is refused.</summary>
    public GenerationParameters Parameters(bool chat)
    {
        if (Integer("n", 1, 128) is long n && n != 1) throw ApiException.BadRequest($"'n' must be 1: this server returns one choice per request, got {n}", "n");
        long? maxTokens = chat ? Integer("max_completion_tokens", long.MinValue, long.MaxValue) ?? Integer("max_tokens", long.MinValue, long.MaxValue)
                               : Integer("max_tokens", long.MinValue, long.MaxValue);
        string maxName = chat && TryGet("max_completion_tokens", out _) ? "max_completion_tokens" : "max_tokens";
        if (maxTokens is < 1) throw ApiException.BadRequest($"'{maxName}' must be at least 1, got {maxTokens}", maxName);
        if (maxTokens > int.MaxValue) throw ApiException.BadRequest($"'{maxName}' is too large: {maxTokens}", maxName);
        return new GenerationParameters
        {
            MaxTokens = (int?)maxTokens,
            MaxTokensField = maxName,
            Temperature = Number("temperature", 0, 2),
            TopP = TopP(),
            TopK = (int?)Integer("top_k", 0, int.MaxValue),
            MinP = Number("min_p", 0, 0.999999),
            RepeatPenalty = Number("repeat_penalty", 1e-6, 100),
            Seed = Integer("seed", long.MinValue, long.MaxValue),
            Stop = Stop(),
            IgnoreEos = Bool("ignore_eos", false),
        };
    }

    private float? TopP()
    {
        float? p = Number("top_p", 0, 1);
        return p == 0 ? throw ApiException.BadRequest("'top_p' must be greater than 0", "top_p") : p;
    }

    public bool IncludeUsageInStream()
    {
        if (!TryGet("stream_options", out JsonElement v)) return false;
        if (v.ValueKind != JsonValueKind.Object) throw WrongType("stream_options", "an object", v);
        return new RequestJson(v).Bool("include_usage", false);
    }

    public static ApiException WrongType(string name, string expected, JsonElement got) =>
        ApiException.BadRequest($"'{name}' must be {expected}, got {Kind(got.ValueKind)}", name);

    private static string Kind(JsonValueKind k) => k switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

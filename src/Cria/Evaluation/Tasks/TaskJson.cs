using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>Task and group files are JSON objects that users edit by hand, so comments and trailing commas are allowed.</summary>
internal static class TaskJson
{
    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The file's object; <paramref name="kind"/> ("task", "group") names what the error says it must be.</summary>
    public static JsonObject ReadObject(string file, string kind)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file), documentOptions: Options) as JsonObject
                ?? throw new CriaFormatException(file, "(file)", $"a {kind} file must hold one JSON object");
        }
        catch (JsonException e)
        {
            throw new CriaFormatException(file, "(file)", $"not valid JSON: {e.Message}");
        }
    }

    /// <summary>The file's object, or null when it is not valid JSON or not an object.</summary>
    public static JsonObject? TryReadObject(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file), documentOptions: Options) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

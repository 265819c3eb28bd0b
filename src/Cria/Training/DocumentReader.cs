using System.Text;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Training;

/// <summary>
/// Streams the documents of a corpus file without loading it whole: JSONL (one object a line, text in a
/// field), or plain text split on <c>&lt;|endoftext|&gt;</c> when the file contains that marker, else on
/// blank lines. Documents are trimmed; empty ones are skipped.
/// </summary>
public static class DocumentReader
{
    public const string EndOfText = "<|endoftext|>";

    public static bool IsJsonl(string path) =>
        path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    public static IEnumerable<string> Read(string path, string field) =>
        IsJsonl(path) ? ReadJsonl(path, field) : ReadText(path, ContainsMarker(path));

    private static bool ContainsMarker(string path)
    {
        using StreamReader r = new(path, Encoding.UTF8);
        string? line;
        while ((line = r.ReadLine()) != null)
            if (line.Contains(EndOfText, StringComparison.Ordinal)) return true;
        return false;
    }

    private static IEnumerable<string> ReadText(string path, bool marker)
    {
        using StreamReader r = new(path, Encoding.UTF8);
        StringBuilder doc = new();
        string? line;
        while ((line = r.ReadLine()) != null)
        {
            if (marker)
            {
                string[] parts = line.Split(EndOfText);
                for (int i = 0; i < parts.Length; i++)
                {
                    if (i > 0)
                    {
                        if (Flush(doc) is string d) yield return d;
                    }
                    doc.Append(parts[i]);
                }
                doc.Append('\n');
            }
            else if (line.Trim().Length == 0)
            {
                if (Flush(doc) is string d) yield return d;
            }
            else doc.Append(line).Append('\n');
        }
        if (Flush(doc) is string last) yield return last;
    }

    private static string? Flush(StringBuilder doc)
    {
        string s = doc.ToString().Trim();
        doc.Clear();
        return s.Length > 0 ? s : null;
    }

    private static IEnumerable<string> ReadJsonl(string path, string field)
    {
        using StreamReader r = new(path, Encoding.UTF8);
        string? line;
        int lineNo = 0;
        while ((line = r.ReadLine()) != null)
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            string? text;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(field, out JsonElement e))
                    throw new CriaFormatException(path, $"line {lineNo}", $"has no field '{field}' (choose one with --field)");
                if (e.ValueKind != JsonValueKind.String) throw new CriaFormatException(path, $"line {lineNo}", $"field '{field}' is {e.ValueKind}, not a string");
                text = e.GetString()!.Trim();
            }
            catch (JsonException ex)
            {
                throw new CriaFormatException(path, $"line {lineNo}", $"is not valid JSON ({ex.Message})");
            }
            if (text.Length > 0) yield return text;
        }
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>Reads a task's rows in the Hugging Face dataset schema from JSON Lines, or WikiText raw text as documents.</summary>
public static partial class DatasetReader
{
    public static List<Doc> Read(string path, string format)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: data file not found (give the folder with --data-dir)");
        return format switch
        {
            "jsonl" => ReadJsonLines(path),
            "wikitext_documents" => ReadWikitextDocuments(path),
            _ => throw new ArgumentException($"{path}: unknown data format '{format}' (known: jsonl, wikitext_documents)"),
        };
    }

    public static List<Doc> ReadJsonLines(string path)
    {
        List<Doc> docs = [];
        int line = 0;
        foreach (string text in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException e)
            {
                throw new CriaFormatException($"{path}:{line}", "(row)", $"not valid JSON: {e.Message}");
            }
            if (node is not JsonObject o) throw new CriaFormatException($"{path}:{line}", "(row)", "each line must be a JSON object");
            docs.Add(new Doc(docs.Count, line, path, o));
        }
        return docs;
    }

    /// <summary>
    /// WikiText raw text, one document per article: an article starts at a level-1 heading line (" = Title = ").
    /// Each document's "page" holds its lines, each ending with a newline, as the document-level dataset does.
    /// </summary>
    public static List<Doc> ReadWikitextDocuments(string path)
    {
        List<Doc> docs = [];
        StringBuilder page = new();
        int line = 0, startLine = 1;
        void Flush()
        {
            if (page.Length > 0) docs.Add(new Doc(docs.Count, startLine, path, new JsonObject { ["page"] = page.ToString() }));
            page.Clear();
        }
        foreach (string text in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (text.Trim().Length == 0) continue;
            if (ArticleHeading().IsMatch(text))
            {
                Flush();
                startLine = line;
            }
            page.Append(text).Append('\n');
        }
        Flush();
        return docs;
    }

    [GeneratedRegex(@"^ = [^=].* = $")]
    private static partial Regex ArticleHeading();
}

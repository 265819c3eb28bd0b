using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Reads a task's rows in the Hugging Face dataset schema from JSON Lines, Parquet (the Hub's own files) or CSV, or
/// WikiText raw text as documents. Every row becomes a JSON object, so task templates see one shape whatever the
/// file type.
/// </summary>
public static partial class DatasetReader
{
    public static IReadOnlyList<string> Formats { get; } = ["jsonl", "parquet", "csv", "wikitext_documents"];

    /// <summary>
    /// The data file for a task's relative path: the path itself, else the same name with another supported
    /// extension (.parquet, .csv, .jsonl), so a Hub download can stand in for a JSON Lines file.
    /// </summary>
    public static string Locate(string dataDir, string relative)
    {
        string path = Path.Combine(dataDir, relative);
        if (File.Exists(path)) return path;
        string[] tried = [path, .. new[] { ".parquet", ".csv", ".jsonl" }.Select(e => Path.ChangeExtension(path, e)).Where(p => p != path)];
        foreach (string p in tried)
            if (File.Exists(p)) return p;
        throw new FileNotFoundException($"{path}: data file not found (tried {string.Join(", ", tried.Select(Path.GetFileName))}; give the folder with --data-dir)");
    }

    /// <summary>Reads rows; <paramref name="format"/> null picks the format from the file's extension.</summary>
    public static List<Doc> Read(string path, string? format = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: data file not found (give the folder with --data-dir)");
        format ??= Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".parquet" => "parquet",
            ".csv" => "csv",
            _ => "jsonl",
        };
        return format switch
        {
            "jsonl" => ReadJsonLines(path),
            "parquet" => ParquetRows.Read(path),
            "csv" => CsvRows.Read(path),
            "wikitext_documents" => ReadWikitextDocuments(path),
            _ => throw new ArgumentException($"{path}: unknown data format '{format}' (known: {string.Join(", ", Formats)})"),
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

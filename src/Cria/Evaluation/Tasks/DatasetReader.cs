using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Reads a task's rows in the Hugging Face dataset schema from JSON Lines, Parquet (the Hub's own files) or CSV, or
/// WikiText raw text as documents. Every row becomes a JSON object, so task templates see one shape whatever the
/// file type.
/// </summary>
public static class DatasetReader
{
    public static IReadOnlyList<string> Formats { get; } = ["jsonl", "parquet", "csv", "wikitext_documents"];

    /// <summary>Extensions whose format the file name settles, whatever the task declares.</summary>
    public static IReadOnlyList<string> TableExtensions { get; } = [".parquet", ".jsonl", ".csv"];

    /// <summary>
    /// The data file for a task's relative path: the path itself, else the same name with another supported
    /// extension (.parquet, .csv, .jsonl), so a Hub download can stand in for a JSON Lines file.
    /// </summary>
    public static string Locate(string dataDir, string relative) => TryLocate(dataDir, relative)
        ?? throw new FileNotFoundException($"{Path.Combine(dataDir, relative)}: data file not found (tried {string.Join(", ", Candidates(dataDir, relative).Select(Path.GetFileName))}; give the folder with --data-dir)");

    /// <summary>Like <see cref="Locate"/>, or null when no candidate exists.</summary>
    public static string? TryLocate(string dataDir, string relative) => Candidates(dataDir, relative).FirstOrDefault(File.Exists);

    private static string[] Candidates(string dataDir, string relative)
    {
        string path = Path.Combine(dataDir, relative);
        return [path, .. new[] { ".parquet", ".csv", ".jsonl" }.Select(e => Path.ChangeExtension(path, e)).Where(p => p != path)];
    }

    /// <summary>
    /// Rows of several files (a split's shards) in order, numbered 0.. across them. A declared format applies to
    /// files whose extension does not settle it (raw WikiText), so a Parquet download can stand in for such a file.
    /// </summary>
    public static List<Doc> ReadAll(IReadOnlyList<string> files, string? format)
    {
        List<Doc> docs = [];
        foreach (string f in files)
        {
            string? own = TableExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()) ? null : format;
            foreach (Doc d in Read(f, own)) docs.Add(d with { Id = docs.Count });
        }
        return docs;
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
    /// WikiText raw text split into articles exactly as the document-level dataset the harness reads
    /// (EleutherAI/wikitext_document_level) was built: the text is cut into lines at '\n' (after Python's
    /// universal-newline reading turned "\r\n" and "\r" into '\n'); a line starts a new document when, with
    /// "= = =" written "===" and "= =" written "==" and surrounding whitespace removed, it begins with "= " and ends
    /// with " =" (a level-1 heading " = Title = "; section headings " = = … = = " do not). A document is its lines
    /// joined with '\n' (blank lines included, no newline added after the last), documents that are only whitespace
    /// are dropped, and the text after the last heading is always the final document.
    /// </summary>
    public static List<Doc> ReadWikitextDocuments(string path)
    {
        string text = File.ReadAllText(path, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        string[] lines = text.Split('\n');
        List<Doc> docs = [];
        int start = 0;
        void Add(int end, bool always)
        {
            string page = string.Join('\n', lines[start..end]);
            if (always || page.Trim().Length > 0) docs.Add(new Doc(docs.Count, start + 1, path, new JsonObject { ["page"] = page }));
        }
        for (int i = 0; i < lines.Length; i++)
        {
            if (!IsArticleHeading(lines[i])) continue;
            Add(i, always: false);
            start = i;
        }
        Add(lines.Length, always: true);
        if (docs.All(d => d.Fields["page"]!.GetValue<string>().Trim().Length == 0))
            throw new CriaFormatException(path, "(text)", "holds no WikiText article");
        return docs;
    }

    /// <summary>The harness's test for a line that opens an article (see <see cref="ReadWikitextDocuments"/>).</summary>
    public static bool IsArticleHeading(string line)
    {
        string r = line.Replace("= = =", "===", StringComparison.Ordinal).Replace("= =", "==", StringComparison.Ordinal).Trim();
        return r.StartsWith("= ", StringComparison.Ordinal) && r.EndsWith(" =", StringComparison.Ordinal);
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;
using nietras.SeparatedValues;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Rows of a CSV file, split by Sep (RFC 4180: a header row, fields optionally in double quotes, "" for a quote, line breaks
/// inside quotes) as JSON objects. A dotted header such as <c>choices.text</c> builds a nested field; a cell that
/// holds a JSON list or object (as lists are written into CSV) becomes that list or object; everything else stays
/// text, which templates and answer indices read as they read JSON strings.
/// </summary>
public static class CsvRows
{
    public static List<Doc> Read(string path)
    {
        // Sep splits records (quotes spanning lines, CRLF); fields stay escaped so a broken quote can be named.
        using SepReader reader = Sep.New(',').Reader(o => o with { DisableColCountCheck = true, HasHeader = false }).FromFile(path);
        List<string>? header = null;
        int headerLine = 0;
        List<Doc> docs = [];
        foreach (SepReader.Row row in reader)
        {
            int line = row.LineNumberFrom;
            List<string> cells = new(row.ColCount);
            for (int i = 0; i < row.ColCount; i++) cells.Add(Unquote(row[i].Span, path, line));
            if (header is null)
            {
                header = cells;
                headerLine = line;
                CheckHeader(header, path, headerLine);
                continue;
            }
            if (cells.Count == 1 && cells[0].Length == 0) continue;
            if (cells.Count != header.Count)
                throw new CriaFormatException($"{path}:{line}", "(row)", $"has {cells.Count} fields but the header names {header.Count}");
            JsonObject o = [];
            for (int i = 0; i < header.Count; i++) Put(o, header[i].Split('.'), Value(cells[i]), path, line);
            docs.Add(new Doc(docs.Count, line, path, o));
        }
        if (header is null) throw new CriaFormatException(path, "(header)", "the file is empty; a CSV data file needs a header row");
        return docs;
    }

    private static void CheckHeader(List<string> header, string path, int line)
    {
        for (int i = 0; i < header.Count; i++)
        {
            if (header[i].Length == 0) throw new CriaFormatException($"{path}:{line}", $"column {i + 1}", "has an empty name");
            if (header.IndexOf(header[i]) != i) throw new CriaFormatException($"{path}:{line}", header[i], "names two columns");
        }
    }

    /// <summary>The text of a raw field: a quoted field loses its quotes and "" becomes ".</summary>
    private static string Unquote(ReadOnlySpan<char> raw, string path, int line)
    {
        if (raw.Length == 0 || raw[0] != '"') return raw.ToString();
        StringBuilder text = new(raw.Length);
        int i = 1;
        for (; i < raw.Length; i++)
        {
            if (raw[i] != '"')
            {
                text.Append(raw[i]);
                continue;
            }
            if (i + 1 < raw.Length && raw[i + 1] == '"')
            {
                text.Append('"');
                i++;
                continue;
            }
            break;
        }
        if (i >= raw.Length) throw new CriaFormatException($"{path}:{line}", "(row)", "a quoted field is never closed");
        if (i != raw.Length - 1) throw new CriaFormatException($"{path}:{line}", "(row)", "a quoted field has text after its closing quote");
        return text.ToString();
    }

    private static JsonNode Value(string cell)
    {
        string t = cell.Trim();
        if (t.Length > 1 && (t[0] == '[' && t[^1] == ']' || t[0] == '{' && t[^1] == '}'))
        {
            try
            {
                if (JsonNode.Parse(t) is JsonNode n) return n;
            }
            catch (JsonException)
            {
                // Not JSON after all (a bracketed phrase): keep the text.
            }
        }
        return JsonValue.Create(cell);
    }

    private static void Put(JsonObject o, string[] path, JsonNode value, string file, int line)
    {
        for (int i = 0; i < path.Length - 1; i++)
        {
            if (o[path[i]] is null) o[path[i]] = new JsonObject();
            o = o[path[i]] as JsonObject ?? throw new CriaFormatException($"{file}:{line}", string.Join('.', path), $"'{path[i]}' is both a column and a group of columns");
        }
        if (o.ContainsKey(path[^1])) throw new CriaFormatException($"{file}:{line}", string.Join('.', path), "is both a column and a group of columns");
        o[path[^1]] = value;
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Rows of a CSV file (RFC 4180: a header row, fields optionally in double quotes, "" for a quote, line breaks
/// inside quotes) as JSON objects. A dotted header such as <c>choices.text</c> builds a nested field; a cell that
/// holds a JSON list or object (as lists are written into CSV) becomes that list or object; everything else stays
/// text, which templates and answer indices read as they read JSON strings.
/// </summary>
public static class CsvRows
{
    public static List<Doc> Read(string path)
    {
        using StreamReader reader = new(path, Encoding.UTF8);
        List<(int Line, List<string> Cells)> records = Parse(reader, path);
        if (records.Count == 0) throw new CriaFormatException(path, "(header)", "the file is empty; a CSV data file needs a header row");
        List<string> header = records[0].Cells;
        for (int i = 0; i < header.Count; i++)
        {
            if (header[i].Length == 0) throw new CriaFormatException($"{path}:{records[0].Line}", $"column {i + 1}", "has an empty name");
            if (header.IndexOf(header[i]) != i) throw new CriaFormatException($"{path}:{records[0].Line}", header[i], "names two columns");
        }
        List<Doc> docs = [];
        foreach ((int line, List<string> cells) in records.Skip(1))
        {
            if (cells.Count == 1 && cells[0].Length == 0) continue;
            if (cells.Count != header.Count)
                throw new CriaFormatException($"{path}:{line}", "(row)", $"has {cells.Count} fields but the header names {header.Count}");
            JsonObject o = [];
            for (int i = 0; i < header.Count; i++) Put(o, header[i].Split('.'), Value(cells[i]), path, line);
            docs.Add(new Doc(docs.Count, line, path, o));
        }
        return docs;
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

    /// <summary>Splits the text into records of fields, each with the line it starts on.</summary>
    private static List<(int, List<string>)> Parse(TextReader r, string path)
    {
        List<(int, List<string>)> records = [];
        List<string> fields = [];
        StringBuilder field = new();
        int line = 1, recordLine = 1, quoteLine = 0;
        bool quoted = false, any = false;
        int c;
        while ((c = r.Read()) >= 0)
        {
            any = true;
            if (quoted)
            {
                if (c == '"')
                {
                    if (r.Peek() == '"')
                    {
                        r.Read();
                        field.Append('"');
                    }
                    else quoted = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    quoteLine = line;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when r.Peek() == '\n':
                    break;
                case '\n' or '\r':
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add((recordLine, fields));
                    fields = [];
                    line++;
                    recordLine = line;
                    any = false;
                    break;
                default:
                    field.Append((char)c);
                    break;
            }
        }
        if (quoted) throw new CriaFormatException($"{path}:{quoteLine}", "(row)", "a quoted field is never closed");
        if (any)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields));
        }
        return records;
    }
}

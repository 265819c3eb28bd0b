using System.Collections;
using System.Text.Json.Nodes;
using Cria.Formats;
using Parquet.Serialization;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Rows of a Parquet file (as the Hugging Face Hub stores datasets) as JSON objects: structs become objects, lists
/// arrays, strings and numbers values. A doc's line number is its 1-based row number.
/// </summary>
public static class ParquetRows
{
    public static List<Doc> Read(string path)
    {
        IList<Dictionary<string, object>> rows;
        try
        {
            using FileStream f = File.OpenRead(path);
            rows = ParquetSerializer.DeserializeUntypedAsync(f).GetAwaiter().GetResult().Data;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ApplicationException or ArgumentException or FormatException)
        {
            throw new CriaFormatException(path, "(file)", $"not a readable Parquet file: {e.Message}");
        }
        List<Doc> docs = new(rows.Count);
        foreach (Dictionary<string, object> row in rows)
        {
            JsonObject o = [];
            foreach ((string key, object value) in row) o[key] = ToJson(value, path, docs.Count + 1, key);
            docs.Add(new Doc(docs.Count, docs.Count + 1, path, o));
        }
        return docs;
    }

    private static JsonNode? ToJson(object? v, string path, int row, string field) => v switch
    {
        null => null,
        string s => JsonValue.Create(s),
        ReadOnlyMemory<char> m => JsonValue.Create(m.ToString()),
        bool b => JsonValue.Create(b),
        sbyte or byte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        float x => JsonValue.Create((double)x),
        double x => JsonValue.Create(x),
        decimal x => JsonValue.Create(x),
        DateTime t => JsonValue.Create(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        DateTimeOffset t => JsonValue.Create(t.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        IDictionary d => Object(d, path, row, field),
        IEnumerable e => new JsonArray([.. e.Cast<object?>().Select((x, i) => ToJson(x, path, row, $"{field}.{i}"))]),
        _ => throw new CriaFormatException($"{path}:{row}", field, $"has a Parquet value of type {v.GetType().Name} that tasks cannot read"),
    };

    private static JsonObject Object(IDictionary d, string path, int row, string field)
    {
        JsonObject o = [];
        foreach (DictionaryEntry e in d)
        {
            string key = e.Key.ToString() ?? "";
            o[key] = ToJson(e.Value, path, row, $"{field}.{key}");
        }
        return o;
    }
}

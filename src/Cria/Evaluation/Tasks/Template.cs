using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// A prompt template: literal text with <c>{{ path | filter | … }}</c> holes. A path walks object fields and list
/// indices (<c>choices.text</c>, <c>choices.0</c>); filters are <see cref="TextFilters"/> names. Parsed once, so a bad
/// filter is reported when the task file is read rather than halfway through a run.
/// </summary>
public sealed class Template
{
    private readonly List<(string? Literal, string[] Path, string[] Filters)> _parts = [];

    public string Source { get; }

    public Template(string source, string file, string field)
    {
        Source = source;
        int at = 0;
        while (at < source.Length)
        {
            int open = source.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0)
            {
                _parts.Add((source[at..], [], []));
                break;
            }
            if (open > at) _parts.Add((source[at..open], [], []));
            int close = source.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) throw new Formats.CriaFormatException(file, field, $"'{{{{' at character {open} is never closed with '}}}}'");
            string[] pieces = source[(open + 2)..close].Split('|', StringSplitOptions.TrimEntries);
            if (pieces[0].Length == 0) throw new Formats.CriaFormatException(file, field, $"empty field name at character {open}");
            foreach (string f in pieces.Skip(1))
                if (!TextFilters.Exists(f)) throw new Formats.CriaFormatException(file, field, $"unknown filter '{f}' (known: {string.Join(", ", TextFilters.Names)})");
            _parts.Add((null, pieces[0].Split('.'), pieces[1..]));
            at = close + 2;
        }
    }

    public bool IsLiteral => _parts.All(p => p.Literal != null);

    public string Render(Doc doc)
    {
        StringBuilder sb = new();
        foreach ((string? literal, string[] path, string[] filters) in _parts)
        {
            if (literal != null)
            {
                sb.Append(literal);
                continue;
            }
            string value = AsText(Resolve(doc, path), doc, path);
            foreach (string f in filters)
            {
                try
                {
                    value = TextFilters.Apply(f, value);
                }
                catch (ArgumentException e)
                {
                    throw Missing(doc, path, $"{e.Message} (filter {f})");
                }
            }
            sb.Append(value);
        }
        return sb.ToString();
    }

    /// <summary>The node at a dotted path, or an error naming the data file, line and field.</summary>
    public static JsonNode Resolve(Doc doc, string[] path)
    {
        JsonNode? node = doc.Fields;
        foreach (string p in path)
        {
            node = node switch
            {
                JsonObject o => o.TryGetPropertyValue(p, out JsonNode? v) ? v : throw Missing(doc, path),
                JsonArray a when int.TryParse(p, out int i) => i >= 0 && i < a.Count ? a[i] : throw Missing(doc, path),
                _ => throw Missing(doc, path),
            };
        }
        return node ?? throw Missing(doc, path, "is null");
    }

    public static string AsText(JsonNode node, Doc doc, string[] path) => node.GetValueKind() switch
    {
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.Number => node.ToJsonString(),
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => throw Missing(doc, path, $"is a {node.GetValueKind()}, not text"),
    };

    public static Formats.CriaFormatException Missing(Doc doc, string[] path, string problem = "is missing") =>
        new($"{doc.File}:{doc.Line}", string.Join('.', path), problem);
}

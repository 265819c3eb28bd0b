using System.Globalization;
using System.Text.RegularExpressions;

namespace Cria.Evaluation.Tasks;

/// <summary>Named text transformations that task files may apply (the harness's task-specific preprocessing).</summary>
public static partial class TextFilters
{
    public static IReadOnlyList<string> Names { get; } = ["strip", "capitalize", "spaces", "hellaswag", "wikitext_detokenize", "before_blank", "after_blank"];

    public static bool Exists(string name) => Names.Contains(name);

    public static string Apply(string name, string text) => name switch
    {
        "strip" => text.Trim(),
        "capitalize" => Capitalize(text),
        "spaces" => text.Replace('_', ' '),
        "hellaswag" => Hellaswag(text),
        "wikitext_detokenize" => WikitextDetokenize(text),
        "before_blank" => text[..Blank(text)],
        "after_blank" => text[(Blank(text) + 1)..].Trim(),
        _ => throw new ArgumentException($"unknown filter '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Position of the "_" that WinoGrande sentences leave for the option.</summary>
    private static int Blank(string text)
    {
        int at = text.IndexOf('_');
        return at >= 0 ? at : throw new ArgumentException("has no '_' blank to fill");
    }

    /// <summary>Python's str.capitalize: first character upper case, the rest lower case.</summary>
    public static string Capitalize(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    /// <summary>HellaSwag's preprocessing: strip, " [title]" → ". ", drop bracketed tags, collapse double spaces once.</summary>
    public static string Hellaswag(string text)
    {
        text = text.Trim().Replace(" [title]", ". ");
        text = BracketTag().Replace(text, "");
        return text.Replace("  ", " ");
    }

    /// <summary>The harness's WikiText detokenizer: undoes the dataset's spacing around punctuation and markers.</summary>
    public static string WikitextDetokenize(string s)
    {
        s = s.Replace("s '", "s'");
        s = QuoteDigit().Replace(s, "/'[0-9]/");
        s = s.Replace(" @-@ ", "-").Replace(" @,@ ", ",").Replace(" @.@ ", ".");
        s = s.Replace(" : ", ": ").Replace(" ; ", "; ").Replace(" . ", ". ").Replace(" ! ", "! ").Replace(" ? ", "? ").Replace(" , ", ", ");
        s = Parens().Replace(s, "($1)");
        s = Brackets().Replace(s, "[$1]");
        s = Braces().Replace(s, "{$1}");
        s = DoubleQuotes().Replace(s, "\"$1\"");
        s = SingleQuotes().Replace(s, "'$1'");
        s = s.Replace("= = = =", "====").Replace("= = =", "===").Replace("= =", "==");
        s = s.Replace(" \u00b0 ", "\u00b0").Replace(" \n", "\n").Replace("\n ", "\n").Replace(" N ", " 1 ").Replace(" 's", "'s");
        return s;
    }

    /// <summary>Length in Unicode code points, as Python's len() counts a str.</summary>
    public static int CodePoints(string s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
            if (!char.IsLowSurrogate(s[i]) || i == 0 || !char.IsHighSurrogate(s[i - 1])) n++;
        return n;
    }

    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex BracketTag();

    [GeneratedRegex(@"/' [0-9]/")]
    private static partial Regex QuoteDigit();

    [GeneratedRegex(@"\(\s*([^\)]*?)\s*\)")]
    private static partial Regex Parens();

    [GeneratedRegex(@"\[\s*([^\]]*?)\s*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"{\s*([^}]*?)\s*}")]
    private static partial Regex Braces();

    [GeneratedRegex("\"\\s*([^\"]*?)\\s*\"")]
    private static partial Regex DoubleQuotes();

    [GeneratedRegex(@"'\s*([^']*?)\s*'")]
    private static partial Regex SingleQuotes();
}

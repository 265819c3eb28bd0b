using System.Text;
using System.Text.RegularExpressions;

namespace Cria.Hub;

/// <summary>
/// A file pattern over '/'-separated repository paths: <c>*</c> and <c>?</c> stay within one folder, <c>**</c> crosses
/// folders (<c>**/x</c> also matches <c>x</c> at the top), <c>[abc]</c> is a character class. Case-sensitive, as the Hub.
/// </summary>
public sealed class GlobPattern
{
    private readonly Regex _regex;

    public string Text { get; }

    public GlobPattern(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern)) throw new ArgumentException("an --include pattern is empty");
        Text = pattern;
        _regex = new Regex("^" + Translate(pattern) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public bool IsMatch(string path) => _regex.IsMatch(path);

    private static string Translate(string p)
    {
        StringBuilder sb = new();
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            if (c == '*' && i + 1 < p.Length && p[i + 1] == '*')
            {
                bool slash = i + 2 < p.Length && p[i + 2] == '/';
                sb.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*') sb.Append("[^/]*");
            else if (c == '?') sb.Append("[^/]");
            else if (c == '[' && p.IndexOf(']', i + 1) is int end and > 0)
            {
                string body = p[(i + 1)..end];
                if (body.StartsWith('!')) body = "^" + body[1..];
                sb.Append('[').Append(body.Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                i = end;
            }
            else sb.Append(Regex.Escape(c.ToString()));
        }
        return sb.ToString();
    }
}

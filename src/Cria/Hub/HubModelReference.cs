using System.Diagnostics.CodeAnalysis;

namespace Cria.Hub;

/// <summary>
/// A model named by its Hub repository, <c>org/name</c>, optionally pinned with <c>@revision</c> (a branch, tag or
/// commit). Names follow the Hub's rules (letters, digits, '-', '_', '.'), so a relative path such as
/// <c>models/x.gguf</c> or <c>./org/name</c> that merely contains a slash is not mistaken for one when it does not exist.
/// </summary>
public sealed record HubModelReference(string RepoId, string? Revision)
{
    public const string DefaultRevision = "main";

    public string RevisionOrDefault => Revision ?? DefaultRevision;

    public static bool TryParse(string text, [NotNullWhen(true)] out HubModelReference? reference)
    {
        reference = null;
        if (string.IsNullOrEmpty(text) || text.Length > 300) return false;
        string repo = text;
        string? revision = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            repo = text[..at];
            revision = text[(at + 1)..];
            if (!IsValidRevision(revision)) return false;
        }
        string[] parts = repo.Split('/');
        if (parts.Length != 2 || !IsValidName(parts[0]) || !IsValidName(parts[1])) return false;
        // A name that ends in a model file extension is far more likely a mistyped path than a repository.
        if (parts[1].EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || parts[1].EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
            || parts[1].EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return false;
        reference = new HubModelReference(repo, revision);
        return true;
    }

    public static HubModelReference Parse(string text) => TryParse(text, out HubModelReference? r) ? r
        : throw new ArgumentException($"'{text}' is not a Hub model name: expected org/name or org/name@revision (letters, digits, '-', '_', '.')");

    /// <summary>A revision as the Hub accepts it: a branch or tag (may contain '/', as refs/pr/1) or a commit hash.</summary>
    public static bool IsValidRevision(string revision)
    {
        if (revision.Length is 0 or > 200) return false;
        foreach (string segment in revision.Split('/'))
            if (segment.Length == 0 || segment == "." || segment == ".." || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) return false;
        return true;
    }

    public static bool IsCommitHash(string revision) => revision.Length == 40 && revision.All(char.IsAsciiHexDigitLower);

    private static bool IsValidName(string s) =>
        s.Length is > 0 and <= 96 && char.IsAsciiLetterOrDigit(s[0]) && !s.Contains("--", StringComparison.Ordinal)
        && !s.Contains("..", StringComparison.Ordinal) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public override string ToString() => Revision == null ? RepoId : $"{RepoId}@{Revision}";
}

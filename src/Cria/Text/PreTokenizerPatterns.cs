using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Cria.Text;

/// <summary>
/// The regular expressions that split text into words before byte-level BPE, and the names GGUF's
/// <c>tokenizer.ggml.pre</c> gives them (the regex itself is not stored in GGUF; llama.cpp picks it by name).
/// </summary>
internal static class PreTokenizerPatterns
{
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>A pre-tokenizer family: its regexes (applied one after another) and llama.cpp's settings for it.</summary>
    public sealed record Named(string Name, IReadOnlyList<Regex> Patterns, bool IgnoreMerges, bool AddBosByDefault);

    private static readonly ConcurrentDictionary<string, Regex> Compiled = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, Func<Named>> ByGgufName = new(StringComparer.Ordinal)
    {
        // llama.cpp's fallback for vocabularies converted before tokenizer.ggml.pre existed.
        ["default"] = () => new("default", [Compile(@"[\p{P}\$\+<=>\^~\|]+"), Compile(Gpt2), Compile(@"\p{N}+"), Compile("[0-9][0-9][0-9]")], false, false),
        ["gpt-2"] = () => new("gpt-2", [Compile(Gpt2)], false, false),
        ["gpt2"] = () => new("gpt2", [Compile(Gpt2)], false, false),
        ["mpt"] = () => new("mpt", [Compile(Gpt2)], false, false),
        ["olmo"] = () => new("olmo", [Compile(Gpt2)], false, false),
        ["llama-bpe"] = () => new("llama-bpe", [Compile(Llama3)], true, true),
        ["llama3"] = () => new("llama3", [Compile(Llama3)], true, true),
        ["llama-v3"] = () => new("llama-v3", [Compile(Llama3)], true, true),
        ["qwen2"] = () => new("qwen2", [Compile(Qwen2)], false, false),
        ["stablelm2"] = () => new("stablelm2", [Compile(Qwen2)], false, false),
        ["starcoder"] = () => new("starcoder", [Compile(@"\p{N}"), Compile(Gpt2)], false, false),
        ["smollm"] = () => new("smollm", [Compile(@"\p{N}"), Compile(Gpt2)], false, false),
        ["refact"] = () => new("refact", [Compile(@"\p{N}"), Compile(Gpt2)], false, false),
    };

    public static IEnumerable<string> GgufNames => ByGgufName.Keys;

    public static Named? ForGgufPre(string pre) => ByGgufName.TryGetValue(pre, out Func<Named>? make) ? make() : null;

    // The names a writer picks, one per distinct family (the others are aliases llama.cpp also accepts).
    private static readonly string[] CanonicalNames = ["gpt-2", "llama-bpe", "qwen2", "starcoder", "default"];

    /// <summary>
    /// The <c>tokenizer.ggml.pre</c> name under which llama.cpp (and Cria's GGUF reader) split text with exactly these
    /// regexes and the same ignore-merges rule, or null when no name does.
    /// </summary>
    public static string? GgufNameFor(IReadOnlyList<string> patterns, bool ignoreMerges) =>
        CanonicalNames.FirstOrDefault(name =>
        {
            Named n = ByGgufName[name]();
            return n.IgnoreMerges == ignoreMerges && n.Patterns.Select(r => r.ToString()).SequenceEqual(patterns, StringComparer.Ordinal);
        });

    /// <summary>Compiles (once per pattern) a regex written for Hugging Face / Oniguruma; the patterns in use read the same in .NET.</summary>
    public static Regex Compile(string pattern) =>
        Compiled.GetOrAdd(pattern, p => new Regex(p, RegexOptions.Compiled | RegexOptions.CultureInvariant));

    /// <summary>
    /// Splits <paramref name="text"/> with each regex in turn, keeping matches and the gaps between them as
    /// separate pieces (Hugging Face's "Isolated" behaviour, which llama.cpp's splitter also follows).
    /// </summary>
    public static List<string> Split(string text, IReadOnlyList<Regex> patterns)
    {
        List<string> pieces = new() { text };
        foreach (Regex regex in patterns)
        {
            List<string> next = new(pieces.Count * 2);
            foreach (string piece in pieces)
            {
                int pos = 0;
                for (Match m = regex.Match(piece); m.Success; m = m.NextMatch())
                {
                    if (m.Length == 0) continue;
                    if (m.Index > pos) next.Add(piece[pos..m.Index]);
                    next.Add(m.Value);
                    pos = m.Index + m.Length;
                }
                if (pos < piece.Length) next.Add(piece[pos..]);
            }
            pieces = next;
        }
        return pieces;
    }
}

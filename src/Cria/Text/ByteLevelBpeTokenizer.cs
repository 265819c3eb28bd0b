using System.Text;
using System.Text.RegularExpressions;

namespace Cria.Text;

/// <summary>
/// GPT-2-style byte-level BPE (LLaMA-3, Qwen2, GPT-2): the text is split into words by the pre-tokenizer
/// regexes, each word's UTF-8 bytes are written in GPT-2's byte alphabet, and adjacent symbols merge in
/// the order of the merge list (lowest rank first, ties to the left).
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    private readonly string[] _tokens;
    private readonly TokenType[] _types;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<long, int> _mergeRanks;
    private readonly (string Left, string Right)[] _merges;
    private readonly Regex[] _patterns;
    private readonly SpecialTokenSplitter _literals;
    private readonly int[] _eosIds;

    public int VocabSize => _tokens.Length;
    public int BosId { get; }
    public int UnkId { get; }
    public IReadOnlyList<int> EosIds => _eosIds;
    public bool AddBos { get; }

    /// <summary>When a whole word is already a token it is taken as is, without merging (LLaMA-3's <c>ignore_merges</c>).</summary>
    public bool IgnoreMerges { get; }

    /// <summary>Unicode normalization applied to plain text first (Qwen2 uses NFC). It only has an effect when
    /// the process runs with ICU, i.e. without InvariantGlobalization; the invariant mode leaves text unchanged.</summary>
    public NormalizationForm? Normalization { get; }

    /// <summary>A space is put in front of text that does not start with one (HF ByteLevel <c>add_prefix_space</c>).</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>The merge list in priority order, in the byte alphabet (what GGUF stores as <c>tokenizer.ggml.merges</c>).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _merges;

    /// <summary>The pre-tokenizer regexes, in the order they split the text.</summary>
    public IReadOnlyList<string> PreTokenizerRegexes => _patterns.Select(r => r.ToString()).ToArray();

    /// <param name="tokens">Vocabulary entries in the byte alphabet (added tokens in plain text).</param>
    /// <param name="types">One type per token.</param>
    /// <param name="merges">Merge pairs in priority order, in the byte alphabet.</param>
    /// <param name="addedTokens">Tokens matched literally in the text before the pre-tokenizer runs.</param>
    /// <param name="preTokenizerPatterns">Regexes applied one after another to split text into words.</param>
    public ByteLevelBpeTokenizer(
        IReadOnlyList<string> tokens,
        IReadOnlyList<TokenType> types,
        IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<AddedToken> addedTokens,
        IReadOnlyList<string> preTokenizerPatterns,
        int bosId,
        IReadOnlyList<int> eosIds,
        int unkId = -1,
        bool addBos = false,
        bool ignoreMerges = false,
        NormalizationForm? normalization = null,
        bool addPrefixSpace = false)
        : this(tokens, types, merges, addedTokens, preTokenizerPatterns.Select(PreTokenizerPatterns.Compile).ToArray(),
            bosId, eosIds, unkId, addBos, ignoreMerges, normalization, addPrefixSpace)
    {
    }

    internal ByteLevelBpeTokenizer(
        IReadOnlyList<string> tokens,
        IReadOnlyList<TokenType> types,
        IReadOnlyList<(string Left, string Right)> merges,
        IEnumerable<AddedToken> addedTokens,
        IReadOnlyList<Regex> patterns,
        int bosId,
        IReadOnlyList<int> eosIds,
        int unkId,
        bool addBos,
        bool ignoreMerges,
        NormalizationForm? normalization,
        bool addPrefixSpace)
    {
        int n = tokens.Count;
        if (n == 0) throw new ArgumentException("the vocabulary is empty", nameof(tokens));
        if (types.Count != n) throw new ArgumentException($"{types.Count} types for {n} tokens", nameof(types));
        foreach (int id in eosIds.Append(bosId).Append(unkId))
            if (id < -1 || id >= n) throw new ArgumentOutOfRangeException(nameof(eosIds), id, $"special id outside the vocabulary of {n}");

        _tokens = tokens.ToArray();
        _types = types.ToArray();
        _patterns = patterns.ToArray();
        BosId = bosId;
        UnkId = unkId;
        _eosIds = eosIds.Distinct().ToArray();
        AddBos = addBos;
        IgnoreMerges = ignoreMerges;
        Normalization = normalization;
        AddPrefixSpace = addPrefixSpace;

        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) _ids.TryAdd(_tokens[i], i);
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        _merges = merges.ToArray();
        _mergeRanks = new Dictionary<long, int>(merges.Count);
        for (int r = 0; r < merges.Count; r++)
        {
            if (_ids.TryGetValue(merges[r].Left, out int a) && _ids.TryGetValue(merges[r].Right, out int b))
                _mergeRanks.TryAdd(SentencePieceBpeTokenizer.PairKey(a, b), r);
        }

        _literals = new SpecialTokenSplitter(addedTokens);
    }

    public TokenType TypeOf(int id) => _types[CheckedId(id)];

    public int[] Encode(string text, bool addBos, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<int> ids = new(text.Length / 3 + 2);
        if (addBos && BosId >= 0) ids.Add(BosId);
        foreach (TextFragment f in _literals.Split(text, parseSpecial))
        {
            if (f.IsText) EncodeText(text.Substring(f.Start, f.Length), ids);
            else ids.Add(f.TokenId);
        }
        return ids.ToArray();
    }

    private void EncodeText(string text, List<int> ids)
    {
        if (Normalization is NormalizationForm form) text = text.Normalize(form);
        if (AddPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        List<int> starts = new();
        foreach (string word in PreTokenizerPatterns.Split(text, _patterns))
        {
            string mapped = ByteLevelAlphabet.Encode(Encoding.UTF8.GetBytes(word));
            if (IgnoreMerges && _ids.TryGetValue(mapped, out int whole))
            {
                ids.Add(whole);
                continue;
            }
            starts.Clear();
            for (int i = 0; i < mapped.Length; i++) starts.Add(i);
            BpeMergeLoop.Run(mapped.Length, starts, Rank, Emit);

            bool Rank(int start, int mid, int end, out double rank)
            {
                rank = 0;
                if (!_lookup.TryGetValue(mapped.AsSpan(start, mid - start), out int a) || !_lookup.TryGetValue(mapped.AsSpan(mid, end - mid), out int b)) return false;
                if (!_mergeRanks.TryGetValue(SentencePieceBpeTokenizer.PairKey(a, b), out int r)) return false;
                rank = r;
                return true;
            }

            void Emit(int start, int len)
            {
                // Merges only ever produce vocabulary entries, so a miss is a lone byte the vocabulary lacks.
                if (_lookup.TryGetValue(mapped.AsSpan(start, len), out int id)) ids.Add(id);
                else if (UnkId >= 0) ids.Add(UnkId);
            }
        }
    }

    public byte[] TokenBytes(int id, int previousId)
    {
        return _types[CheckedId(id)] switch
        {
            TokenType.Control or TokenType.Unused => [],
            TokenType.UserDefined => Encoding.UTF8.GetBytes(_tokens[id]),
            TokenType.Byte when SentencePieceBpeTokenizer.TryParseByteToken(_tokens[id], out byte b) => [b],
            _ => ByteLevelAlphabet.Decode(_tokens[id]),
        };
    }

    public string IdToPiece(int id) => _tokens[CheckedId(id)];

    public int PieceToId(string piece) => _ids.TryGetValue(piece, out int id) ? id : -1;

    public bool IsControl(int id) => _types[CheckedId(id)] == TokenType.Control;

    private int CheckedId(int id)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_tokens.Length}");
        return id;
    }
}

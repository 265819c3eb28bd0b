using System.Text;

namespace Cria.Text;

/// <summary>
/// SentencePiece-style BPE as llama.cpp's SPM tokenizer and llama2.c's run.c apply it: spaces become "▁",
/// a dummy "▁" goes in front of the text, adjacent symbols merge greedily (the pair whose concatenation is
/// the highest-scoring piece first, ties to the left), and characters outside the vocabulary fall back to
/// their UTF-8 bytes as &lt;0xXX&gt; tokens. With merges given instead, pairs rank by merge order, as in
/// Hugging Face's tokenizer.json for Llama-2.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    public const char SpaceMark = '\u2581';

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly TokenType[] _types;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<long, int>? _mergeRanks;
    private readonly int[] _byteIds = new int[256];
    private readonly short[] _byteOfToken;
    private readonly SpecialTokenSplitter _literals;
    private readonly int[] _eosIds;

    public int VocabSize => _pieces.Length;
    public int BosId { get; }
    public int UnkId { get; }
    public IReadOnlyList<int> EosIds => _eosIds;
    public bool AddBos { get; }
    public SpacePrefixMode SpacePrefix { get; }

    /// <summary>Whether pairs rank by merge order (Hugging Face layout) rather than by piece score.</summary>
    public bool RanksByMerges => _mergeRanks != null;

    /// <param name="pieces">Vocabulary pieces with spaces written as "▁".</param>
    /// <param name="scores">One score per piece (higher merges first); ignored when <paramref name="merges"/> is given.</param>
    /// <param name="types">One type per piece.</param>
    /// <param name="merges">Optional merge list in priority order; when given, it alone decides which pairs merge.</param>
    /// <param name="addedTokens">Tokens matched literally in the text; by default the control, unknown and
    /// user-defined pieces (the first two only when special tokens are parsed), as llama.cpp does.</param>
    public SentencePieceBpeTokenizer(
        IReadOnlyList<string> pieces,
        IReadOnlyList<float> scores,
        IReadOnlyList<TokenType> types,
        int bosId,
        IReadOnlyList<int> eosIds,
        int unkId,
        bool addBos = true,
        SpacePrefixMode spacePrefix = SpacePrefixMode.EveryTextRun,
        IReadOnlyList<(string Left, string Right)>? merges = null,
        IEnumerable<AddedToken>? addedTokens = null)
    {
        int n = pieces.Count;
        if (n == 0) throw new ArgumentException("the vocabulary is empty", nameof(pieces));
        if (scores.Count != n) throw new ArgumentException($"{scores.Count} scores for {n} pieces", nameof(scores));
        if (types.Count != n) throw new ArgumentException($"{types.Count} types for {n} pieces", nameof(types));
        CheckId(bosId, n, nameof(bosId));
        CheckId(unkId, n, nameof(unkId));
        foreach (int e in eosIds) CheckId(e, n, nameof(eosIds));

        _pieces = pieces.ToArray();
        _scores = scores.ToArray();
        _types = types.ToArray();
        BosId = bosId;
        UnkId = unkId;
        _eosIds = eosIds.Distinct().ToArray();
        AddBos = addBos;
        SpacePrefix = spacePrefix;

        _ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) _ids.TryAdd(_pieces[i], i);
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();

        Array.Fill(_byteIds, -1);
        _byteOfToken = new short[n];
        for (int i = 0; i < n; i++)
        {
            _byteOfToken[i] = -1;
            if (_types[i] == TokenType.Byte && TryParseByteToken(_pieces[i], out byte b))
            {
                _byteOfToken[i] = b;
                if (_byteIds[b] < 0) _byteIds[b] = i;
            }
        }

        if (merges != null)
        {
            _mergeRanks = new Dictionary<long, int>(merges.Count);
            for (int r = 0; r < merges.Count; r++)
            {
                if (_ids.TryGetValue(merges[r].Left, out int a) && _ids.TryGetValue(merges[r].Right, out int b))
                    _mergeRanks.TryAdd(PairKey(a, b), r);
            }
        }

        _literals = new SpecialTokenSplitter(addedTokens ?? Enumerable.Range(0, n)
            .Where(i => _types[i] is TokenType.Control or TokenType.UserDefined or TokenType.Unknown)
            .Select(i => new AddedToken(_pieces[i], i, Special: _types[i] != TokenType.UserDefined)));
    }

    private static void CheckId(int id, int n, string name)
    {
        if (id < -1 || id >= n) throw new ArgumentOutOfRangeException(name, id, $"must be -1 or below the vocabulary size {n}");
    }

    internal static long PairKey(int a, int b) => ((long)a << 32) | (uint)b;

    /// <summary>Reads "&lt;0xXX&gt;" (the spelling SentencePiece gives byte pieces).</summary>
    public static bool TryParseByteToken(string piece, out byte value)
    {
        value = 0;
        if (piece.Length != 6 || !piece.StartsWith("<0x", StringComparison.Ordinal) || piece[5] != '>') return false;
        return byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    public TokenType TypeOf(int id) => _types[CheckedId(id)];

    public float ScoreOf(int id) => _scores[CheckedId(id)];

    public int[] Encode(string text, bool addBos, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<int> ids = new(text.Length / 3 + 2);
        if (addBos && BosId >= 0) ids.Add(BosId);
        foreach (TextFragment f in _literals.Split(text, parseSpecial))
        {
            if (!f.IsText)
            {
                ids.Add(f.TokenId);
                continue;
            }
            bool prefix = SpacePrefix == SpacePrefixMode.EveryTextRun || (SpacePrefix == SpacePrefixMode.StartOfInputOnly && f.Start == 0);
            EncodeText(text.AsSpan(f.Start, f.Length), prefix, ids);
        }
        return ids.ToArray();
    }

    private void EncodeText(ReadOnlySpan<char> raw, bool prefix, List<int> ids)
    {
        StringBuilder sb = new(raw.Length + 1);
        if (prefix) sb.Append(SpaceMark);
        foreach (char c in raw) sb.Append(c == ' ' ? SpaceMark : c);
        string s = sb.ToString();

        // One initial symbol per code point, so a surrogate pair never splits.
        List<int> starts = new(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (i > 0 && char.IsLowSurrogate(s[i]) && char.IsHighSurrogate(s[i - 1])) continue;
            starts.Add(i);
        }

        BpeMergeLoop.Run(s.Length, starts, _mergeRanks == null ? RankByScore : RankByMerge, (start, len) => EmitSymbol(s, start, len, ids));

        bool RankByScore(int start, int mid, int end, out double rank)
        {
            if (_lookup.TryGetValue(s.AsSpan(start, end - start), out int id))
            {
                rank = -_scores[id];
                return true;
            }
            rank = 0;
            return false;
        }

        bool RankByMerge(int start, int mid, int end, out double rank)
        {
            rank = 0;
            if (!_lookup.TryGetValue(s.AsSpan(start, mid - start), out int a) || !_lookup.TryGetValue(s.AsSpan(mid, end - mid), out int b)) return false;
            if (!_mergeRanks!.TryGetValue(PairKey(a, b), out int r)) return false;
            rank = r;
            return true;
        }
    }

    private void EmitSymbol(string s, int start, int len, List<int> ids)
    {
        if (_lookup.TryGetValue(s.AsSpan(start, len), out int id))
        {
            ids.Add(id);
            return;
        }
        // Only single characters can be missing: every merge produces a vocabulary piece.
        int max = Encoding.UTF8.GetMaxByteCount(len);
        Span<byte> utf8 = max <= 64 ? stackalloc byte[64] : new byte[max];
        int count = Encoding.UTF8.GetBytes(s.AsSpan(start, len), utf8);
        bool allBytes = true;
        for (int i = 0; i < count; i++) allBytes &= _byteIds[utf8[i]] >= 0;
        if (allBytes)
        {
            for (int i = 0; i < count; i++) ids.Add(_byteIds[utf8[i]]);
        }
        else if (UnkId >= 0)
        {
            ids.Add(UnkId);
        }
    }

    public byte[] TokenBytes(int id, int previousId)
    {
        switch (_types[CheckedId(id)])
        {
            case TokenType.Control:
            case TokenType.Unused:
                return [];
            case TokenType.Byte when _byteOfToken[id] >= 0:
                return [(byte)_byteOfToken[id]];
            case TokenType.UserDefined:
                return Encoding.UTF8.GetBytes(_pieces[id]);
        }
        string text = _pieces[id].Replace(SpaceMark, ' ');
        // The dummy prefix becomes a space on the first word; run.c drops it after BOS.
        if (previousId == BosId && BosId >= 0 && SpacePrefix != SpacePrefixMode.Never && text.StartsWith(' ')) text = text[1..];
        return Encoding.UTF8.GetBytes(text);
    }

    public string IdToPiece(int id) => _pieces[CheckedId(id)];

    public int PieceToId(string piece) => _ids.TryGetValue(piece, out int id) ? id : -1;

    public bool IsControl(int id) => _types[CheckedId(id)] == TokenType.Control;

    private int CheckedId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary of {_pieces.Length}");
        return id;
    }
}

namespace Cria.Text;

/// <summary>
/// BOS/EOS settings found next to a tokenizer (Hugging Face's tokenizer_config.json, config.json,
/// generation_config.json) that take precedence over what the tokenizer file itself implies.
/// </summary>
internal sealed record SpecialTokenOverrides
{
    public static SpecialTokenOverrides None { get; } = new();

    /// <summary>Whether a bos_token entry was present at all; a present null means "no BOS".</summary>
    public bool HasBosToken { get; init; }
    public string? BosToken { get; init; }
    public int? BosId { get; init; }
    public IReadOnlyList<string> EosTokens { get; init; } = [];
    public IReadOnlyList<int> EosIds { get; init; } = [];
    public bool? AddBos { get; init; }

    public (int Bos, int[] Eos, bool AddBos) Resolve(IReadOnlyList<string> pieces, int defaultBos, IEnumerable<int> defaultEos, bool defaultAddBos)
    {
        Dictionary<string, int>? index = null;
        int IdOf(string piece)
        {
            index ??= BuildIndex(pieces);
            return index.GetValueOrDefault(piece, -1);
        }

        int bos = defaultBos;
        if (HasBosToken) bos = BosToken == null ? -1 : IdOf(BosToken) is int b and >= 0 ? b : bos;
        else if (BosId is int id && id >= 0 && id < pieces.Count) bos = id;

        List<int> eos = defaultEos.Where(e => e >= 0).ToList();
        foreach (string t in EosTokens)
            if (IdOf(t) is int e and >= 0) eos.Add(e);
        eos.AddRange(EosIds.Where(e => e >= 0 && e < pieces.Count));

        bool addBos = (AddBos ?? defaultAddBos) && bos >= 0;
        return (bos, eos.Distinct().ToArray(), addBos);
    }

    private static Dictionary<string, int> BuildIndex(IReadOnlyList<string> pieces)
    {
        Dictionary<string, int> d = new(pieces.Count, StringComparer.Ordinal);
        for (int i = 0; i < pieces.Count; i++) d.TryAdd(pieces[i], i);
        return d;
    }
}

using Cria.Model;
using Cria.Text;

namespace Cria.Lineage;

/// <summary>
/// The tokens both vocabularies hold, matched by the bytes they print (so SentencePiece "▁the" and byte-level
/// "Ġthe" are the same token), and the seeded sample of them used as probe inputs.
/// </summary>
public sealed record SharedTokens(
    int VocabA,
    int VocabB,
    int Shared,
    string MatchedBy,
    int[] IdsA,
    int[] IdsB)
{
    /// <summary>Tokens in the probe sample.</summary>
    public int Count => IdsA.Length;

    /// <summary>Shared tokens as a fraction of the smaller vocabulary.</summary>
    public double Overlap => Shared / (double)Math.Max(1, Math.Min(VocabA, VocabB));

    public static SharedTokens Match(LoadedModel a, LoadedModel b, int maxTokens, int seed)
    {
        ITokenizer? ta = a.Tokenizer, tb = b.Tokenizer;
        List<(int A, int B)> pairs = new();
        string by;
        if (ta != null && tb != null)
        {
            by = "token bytes";
            Dictionary<string, int> inB = Keys(tb, b.Config.VocabSize);
            foreach ((string key, int idA) in Keys(ta, a.Config.VocabSize).OrderBy(kv => kv.Value))
                if (inB.TryGetValue(key, out int idB)) pairs.Add((idA, idB));
        }
        else if (a.Config.VocabSize == b.Config.VocabSize)
        {
            // Without a tokenizer the only honest match is by id, and only when the vocabularies have the same size.
            by = "token id (no tokenizer on " + (ta == null ? (tb == null ? "either side" : "A") : "B") + ")";
            for (int i = 0; i < a.Config.VocabSize; i++) pairs.Add((i, i));
        }
        else
        {
            by = "none (a tokenizer is missing and the vocabulary sizes differ)";
        }

        int shared = pairs.Count;
        // Seeded Fisher–Yates over the id-ordered list, then the first n: the same seed gives the same probe set.
        Training.NormalRandom rng = new((ulong)seed * 0x9E3779B97F4A7C15UL + 17);
        for (int i = pairs.Count - 1; i > 0; i--)
        {
            int j = (int)rng.NextLong(i + 1);
            (pairs[i], pairs[j]) = (pairs[j], pairs[i]);
        }
        int n = Math.Min(maxTokens, pairs.Count);
        return new SharedTokens(a.Config.VocabSize, b.Config.VocabSize, shared, by,
            pairs.Take(n).Select(p => p.A).ToArray(), pairs.Take(n).Select(p => p.B).ToArray());
    }

    /// <summary>Printable bytes → first id holding them; control tokens and empty pieces are left out.</summary>
    private static Dictionary<string, int> Keys(ITokenizer t, int modelVocab)
    {
        Dictionary<string, int> keys = new(StringComparer.Ordinal);
        int n = Math.Min(t.VocabSize, modelVocab);
        for (int id = 0; id < n; id++)
        {
            if (t.IsControl(id)) continue;
            byte[] bytes = t.TokenBytes(id, -1);
            if (bytes.Length == 0) continue;
            keys.TryAdd(Convert.ToHexString(bytes), id);
        }
        return keys;
    }
}

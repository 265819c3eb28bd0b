using System.Text;
using System.Text.RegularExpressions;

namespace Cria.Text;

/// <summary>Where <see cref="BpeTrainer.Train"/> stands: merges learned so far of the merges it may learn.</summary>
public readonly record struct BpeTrainProgress(int Merges, int MaxMerges);

/// <summary>
/// Learns a GPT-2-style byte-level BPE vocabulary. Text is fed one document at a time and only word counts are
/// kept (split by the GPT-2 pre-tokenizer regex, special tokens cut out first), so corpora larger than memory
/// work. <see cref="Train"/> then repeatedly merges the most frequent adjacent symbol pair over those counts.
/// Ids: the special tokens first, in the order given, then the 256 bytes in byte order, then one id per merge
/// that makes a new string. Ties between equally frequent pairs go to the pair with the smaller left id, then
/// the smaller right id, so the result depends only on the text, never on hash or thread order.
/// </summary>
public sealed class BpeTrainer
{
    private readonly Dictionary<string, long> _wordCounts = new(StringComparer.Ordinal);
    private readonly Regex _pattern = PreTokenizerPatterns.Compile(PreTokenizerPatterns.Gpt2);
    private readonly SpecialTokenSplitter _specials;

    public int VocabSize { get; }
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Pairs seen fewer times than this are never merged (default 2: a merge must be worth something).</summary>
    public int MinFrequency { get; init; } = 2;

    public long Documents { get; private set; }
    public long Words { get; private set; }
    public int DistinctWords => _wordCounts.Count;

    /// <param name="vocabSize">Target size including the special tokens and the 256 byte tokens.</param>
    /// <param name="specialTokens">Literal tokens (BOS first, then EOS, …), never split and never learned from.</param>
    public BpeTrainer(int vocabSize, IReadOnlyList<string> specialTokens)
    {
        if (specialTokens.Any(string.IsNullOrEmpty)) throw new ArgumentException("a special token is empty", nameof(specialTokens));
        if (specialTokens.Distinct(StringComparer.Ordinal).Count() != specialTokens.Count)
            throw new ArgumentException($"special tokens repeat: {string.Join(", ", specialTokens)}", nameof(specialTokens));
        int floor = specialTokens.Count + 256;
        if (vocabSize < floor || vocabSize > 1 << 20)
            throw new ArgumentException($"--vocab-size {vocabSize} must be between {floor} (256 bytes + {specialTokens.Count} special tokens) and {1 << 20}", nameof(vocabSize));
        VocabSize = vocabSize;
        SpecialTokens = [.. specialTokens];
        _specials = new SpecialTokenSplitter(SpecialTokens.Select((t, i) => new AddedToken(t, i, true, false, false)));
    }

    /// <summary>Counts the words of one document; special tokens in it separate text and are not counted.</summary>
    public void AddDocument(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Documents++;
        foreach (TextFragment f in _specials.Split(text, parseSpecial: true))
        {
            if (!f.IsText) continue;
            foreach (string word in PreTokenizerPatterns.Split(text.Substring(f.Start, f.Length), [_pattern]))
            {
                ref long count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_wordCounts, word, out _);
                count++;
                Words++;
            }
        }
    }

    /// <summary>Learns the merges from the counted words.</summary>
    public BpeVocabulary Train(IProgress<BpeTrainProgress>? progress = null)
    {
        List<string> tokens = [.. SpecialTokens];
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevelAlphabet.ByteToChar[b].ToString());
        Dictionary<string, int> ids = new(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++) ids.TryAdd(tokens[i], i);
        int byteBase = SpecialTokens.Count;

        // Words in ordinal order, so word indices (and with them everything below) do not depend on hashing.
        string[] words = [.. _wordCounts.Keys.Order(StringComparer.Ordinal)];
        int[][] symbols = new int[words.Length][];
        long[] counts = new long[words.Length];
        for (int w = 0; w < words.Length; w++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(words[w]);
            symbols[w] = [.. bytes.Select(x => byteBase + x)];
            counts[w] = _wordCounts[words[w]];
        }

        PairTable pairs = new();
        for (int w = 0; w < words.Length; w++) pairs.AddWord(symbols[w], symbols[w].Length, counts[w], w);
        int[] lengths = [.. symbols.Select(s => s.Length)];

        List<(int Left, int Right)> merges = [];
        int maxMerges = VocabSize - tokens.Count;
        while (tokens.Count < VocabSize)
        {
            if (!pairs.TryTakeBest(MinFrequency, out long pair)) break;
            int left = (int)(pair >> 32), right = (int)(uint)pair;
            string merged = tokens[left] + tokens[right];
            if (!ids.TryGetValue(merged, out int id))
            {
                id = tokens.Count;
                tokens.Add(merged);
                ids[merged] = id;
            }
            merges.Add((left, right));
            foreach (int w in pairs.WordsWith(pair))
            {
                int[] s = symbols[w];
                if (!Contains(s, lengths[w], left, right)) continue;
                pairs.RemoveWord(s, lengths[w], counts[w]);
                lengths[w] = Merge(s, lengths[w], left, right, id);
                pairs.AddWord(s, lengths[w], counts[w], w);
            }
            pairs.Requeue();
            if (merges.Count % 32 == 0) progress?.Report(new BpeTrainProgress(merges.Count, maxMerges));
        }
        progress?.Report(new BpeTrainProgress(merges.Count, maxMerges));
        return new BpeVocabulary(tokens, SpecialTokens.Count, [.. merges.Select(m => (tokens[m.Left], tokens[m.Right]))]);
    }

    private static bool Contains(int[] s, int length, int left, int right)
    {
        for (int i = 0; i + 1 < length; i++)
            if (s[i] == left && s[i + 1] == right) return true;
        return false;
    }

    /// <summary>Replaces every non-overlapping occurrence of (left, right), scanning left to right, by <paramref name="id"/>.</summary>
    private static int Merge(int[] s, int length, int left, int right, int id)
    {
        int o = 0;
        for (int i = 0; i < length; i++)
        {
            if (i + 1 < length && s[i] == left && s[i + 1] == right)
            {
                s[o++] = id;
                i++;
            }
            else s[o++] = s[i];
        }
        return o;
    }

    /// <summary>
    /// Weighted counts of adjacent pairs, the words each pair was ever seen in, and a max-heap of candidates that
    /// is corrected lazily: an entry whose count went stale is re-queued with the current count when it surfaces.
    /// </summary>
    private sealed class PairTable
    {
        private readonly Dictionary<long, long> _counts = [];
        private readonly Dictionary<long, List<int>> _words = [];
        private readonly HashSet<long> _grown = [];
        private readonly PriorityQueue<long, (long Count, long Pair)> _heap = new(Comparer<(long Count, long Pair)>.Create((a, b) =>
            a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Pair.CompareTo(b.Pair)));

        private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

        public void AddWord(int[] s, int length, long count, int word)
        {
            for (int i = 0; i + 1 < length; i++)
            {
                long k = Key(s[i], s[i + 1]);
                ref long c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, k, out _);
                c += count;
                ref List<int>? list = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_words, k, out _);
                list ??= [];
                if (list.Count == 0 || list[^1] != word) list.Add(word);
                _grown.Add(k);
            }
        }

        public void RemoveWord(int[] s, int length, long count)
        {
            for (int i = 0; i + 1 < length; i++) _counts[Key(s[i], s[i + 1])] -= count;
        }

        /// <summary>Queues every pair whose count rose since the last call (the heap only needs entries for increases).</summary>
        public void Requeue()
        {
            foreach (long k in _grown)
                if (_counts[k] > 0) _heap.Enqueue(k, (_counts[k], k));
            _grown.Clear();
        }

        public bool TryTakeBest(int minFrequency, out long pair)
        {
            Requeue();
            while (_heap.TryDequeue(out pair, out var entry))
            {
                long now = _counts[pair];
                if (now != entry.Count)
                {
                    if (now > 0) _heap.Enqueue(pair, (now, pair));
                    continue;
                }
                if (now < Math.Max(1, minFrequency)) return false;
                return true;
            }
            return false;
        }

        /// <summary>Words the pair appeared in (some may no longer hold it), in increasing order, without duplicates.</summary>
        public List<int> WordsWith(long pair)
        {
            List<int> list = _words[pair];
            // A word is appended again when it regains the pair after a merge; keep the list sorted and unique.
            list.Sort();
            int o = 0;
            for (int i = 0; i < list.Count; i++)
                if (o == 0 || list[o - 1] != list[i]) list[o++] = list[i];
            list.RemoveRange(o, list.Count - o);
            _words.Remove(pair);
            return list;
        }
    }
}

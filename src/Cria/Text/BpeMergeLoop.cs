namespace Cria.Text;

/// <summary>
/// Greedy BPE over adjacent slices of one string: repeatedly merges the adjacent pair with the lowest
/// rank (ties: the leftmost pair) until no pair can merge. Symbols live in a doubly linked list and
/// candidate pairs in a heap, so a text of n symbols costs O(n log n) rather than O(n²) rescans.
/// </summary>
internal static class BpeMergeLoop
{
    /// <summary>
    /// The rank of merging <c>text[start..mid)</c> with <c>text[mid..end)</c>, lower merging first;
    /// false when the pair does not merge.
    /// </summary>
    public delegate bool PairRank(int start, int mid, int end, out double rank);

    /// <summary>
    /// Merges the symbols that start at <paramref name="starts"/> (ascending, the first at 0, each running
    /// to the next start or to <paramref name="length"/>) and reports each final symbol as (start, length).
    /// </summary>
    public static void Run(int length, List<int> starts, PairRank rank, Action<int, int> emit)
    {
        int n = starts.Count;
        if (n == 0) return;
        if (n == 1)
        {
            emit(starts[0], length);
            return;
        }

        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++)
        {
            start[i] = starts[i];
            len[i] = (i + 1 < n ? starts[i + 1] : length) - starts[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        // Priority (rank, left start): a min-heap pops the best rank and, among equals, the leftmost pair.
        PriorityQueue<(int Left, int Right, int Size), (double Rank, int Start)> heap = new(n);
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int s = start[left], m = start[right], e = m + len[right];
            if (rank(s, m, e, out double r)) heap.Enqueue((left, right, e - s), (r, s));
        }

        for (int i = 0; i + 1 < n; i++) TryAdd(i, i + 1);

        while (heap.TryDequeue(out var pair, out _))
        {
            var (left, right, size) = pair;
            // An entry is stale once either side has been merged into something else since it was queued.
            if (len[left] == 0 || len[right] == 0 || next[left] != right || len[left] + len[right] != size) continue;
            len[left] = size;
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            TryAdd(prev[left], left);
            TryAdd(left, next[left]);
        }

        for (int i = 0; i >= 0; i = next[i]) emit(start[i], len[i]);
    }
}

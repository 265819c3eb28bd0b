using Microsoft.Win32.SafeHandles;

namespace Cria.Training;

/// <summary>
/// A sequence of token ids made of segments (in-memory arrays or shard files of uint16/uint32), read by
/// global position so windows may cross segment boundaries. Shard files are read on demand, not loaded.
/// </summary>
public sealed class TokenStream : IDisposable
{
    private readonly List<Segment> _segments = new();

    public long Length { get; private set; }

    public TokenStream(IEnumerable<int[]> arrays)
    {
        foreach (int[] a in arrays) Add(new Segment(a, null, 0, a.Length));
    }

    private TokenStream()
    {
    }

    /// <summary>Opens shard files of <paramref name="bytesPerToken"/> (2 or 4) bytes per token.</summary>
    public static TokenStream OpenShards(IEnumerable<(string Path, long Tokens)> shards, int bytesPerToken)
    {
        TokenStream s = new();
        try
        {
            foreach ((string path, long tokens) in shards)
            {
                SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                long bytes = RandomAccess.GetLength(h);
                if (bytes != tokens * bytesPerToken)
                {
                    h.Dispose();
                    throw new Formats.CriaFormatException(path, "tokens", $"the file has {bytes} bytes; the manifest says {tokens} tokens of {bytesPerToken} bytes");
                }
                s.Add(new Segment(null, h, bytesPerToken, tokens));
            }
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    private void Add(Segment seg)
    {
        if (seg.Length == 0)
        {
            seg.File?.Dispose();
            return;
        }
        _segments.Add(seg with { Start = Length });
        Length += seg.Length;
    }

    /// <summary>Copies tokens [offset, offset + dst.Length) into dst.</summary>
    public void Read(long offset, Span<int> dst)
    {
        if (offset < 0 || offset + dst.Length > Length) throw new ArgumentOutOfRangeException(nameof(offset), $"window [{offset}, {offset + dst.Length}) is outside the {Length} tokens");
        int done = 0;
        int i = FindSegment(offset);
        while (done < dst.Length)
        {
            Segment s = _segments[i++];
            long local = offset + done - s.Start;
            int take = (int)Math.Min(dst.Length - done, s.Length - local);
            s.Read(local, dst.Slice(done, take));
            done += take;
        }
    }

    private int FindSegment(long offset)
    {
        int lo = 0, hi = _segments.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_segments[mid].Start <= offset) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    public void Dispose()
    {
        foreach (Segment s in _segments) s.File?.Dispose();
        _segments.Clear();
    }

    private sealed record Segment(int[]? Array, SafeFileHandle? File, int BytesPerToken, long Length)
    {
        public long Start { get; init; }

        public void Read(long local, Span<int> dst)
        {
            if (Array != null)
            {
                Array.AsSpan((int)local, dst.Length).CopyTo(dst);
                return;
            }
            byte[] buf = new byte[dst.Length * BytesPerToken];
            int got = 0;
            while (got < buf.Length)
            {
                int n = RandomAccess.Read(File!, buf.AsSpan(got), local * BytesPerToken + got);
                if (n == 0) throw new EndOfStreamException("a token shard ended early (was it truncated while training?)");
                got += n;
            }
            for (int i = 0; i < dst.Length; i++)
                dst[i] = BytesPerToken == 2 ? BitConverter.ToUInt16(buf, 2 * i) : (int)BitConverter.ToUInt32(buf, 4 * i);
        }
    }
}

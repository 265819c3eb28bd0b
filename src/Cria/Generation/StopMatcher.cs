namespace Cria.Generation;

/// <summary>
/// Streams text while watching for stop strings: text that could still be the start of a stop string is
/// held back until it is known not to be one, so a stop string never reaches the output.
/// </summary>
public sealed class StopMatcher
{
    private readonly string[] _stops;
    private string _pending = "";

    public bool Stopped { get; private set; }

    public StopMatcher(IEnumerable<string> stops) => _stops = stops.Where(s => s.Length > 0).ToArray();

    /// <summary>Adds generated text; returns the part that is safe to emit now.</summary>
    public string Push(string text)
    {
        if (Stopped) return "";
        _pending += text;
        int cut = int.MaxValue;
        foreach (string s in _stops)
        {
            int at = _pending.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0) cut = Math.Min(cut, at);
        }
        if (cut != int.MaxValue)
        {
            Stopped = true;
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        int hold = 0;
        foreach (string s in _stops)
            for (int len = Math.Min(s.Length - 1, _pending.Length); len > hold; len--)
                if (_pending.AsSpan(_pending.Length - len).SequenceEqual(s.AsSpan(0, len)))
                {
                    hold = len;
                    break;
                }
        string emit = _pending[..^hold];
        _pending = _pending[^hold..];
        return emit;
    }

    /// <summary>Text still held back when generation ends for another reason.</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending;
        _pending = "";
        return rest;
    }
}

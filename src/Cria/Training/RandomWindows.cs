namespace Cria.Training;

/// <summary>
/// Batches of contiguous windows of T+1 tokens at seeded random offsets in a token stream (x = window[:-1],
/// y = window[1:]). The generator state is the data position, saved and restored for exact resumption.
/// </summary>
public sealed class RandomWindows : IBatchSource
{
    private readonly TokenStream _stream;
    private readonly int _seq;
    private readonly NormalRandom _rng;
    private readonly int[] _window;

    public RandomWindows(TokenStream stream, int seq, ulong seed)
    {
        if (stream.Length < seq + 1) throw new ArgumentException($"the data has {stream.Length} tokens, fewer than one window of --seq {seq} + 1");
        _stream = stream;
        _seq = seq;
        _rng = new NormalRandom(seed);
        _window = new int[seq + 1];
    }

    public void Next(Span<int> inputs, Span<int> targets)
    {
        for (int row = 0; row < inputs.Length / _seq; row++)
        {
            long offset = _rng.NextLong(_stream.Length - _seq);
            _stream.Read(offset, _window);
            _window.AsSpan(0, _seq).CopyTo(inputs.Slice(row * _seq, _seq));
            _window.AsSpan(1, _seq).CopyTo(targets.Slice(row * _seq, _seq));
        }
    }

    public ulong State
    {
        get => _rng.Save().State;
        set => _rng.Restore((value, 0, false));
    }
}

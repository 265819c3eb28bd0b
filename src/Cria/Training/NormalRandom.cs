namespace Cria.Training;

/// <summary>
/// Seeded standard-normal numbers (SplitMix64 bits, Box–Muller in double): the same seed gives the same
/// sequence on every machine and .NET version, which System.Random does not promise.
/// </summary>
public sealed class NormalRandom
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    public NormalRandom(ulong seed) => _state = seed;

    public ulong NextBits()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1].</summary>
    public double NextUniform() => ((NextBits() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public long NextLong(long n) => (long)(NextBits() % (ulong)n);

    public float Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return (float)_spare;
        }
        double r = Math.Sqrt(-2 * Math.Log(NextUniform()));
        double a = 2 * Math.PI * NextUniform();
        _spare = r * Math.Sin(a);
        _hasSpare = true;
        return (float)(r * Math.Cos(a));
    }

    /// <summary>The full generator state, for resuming.</summary>
    public (ulong State, double Spare, bool HasSpare) Save() => (_state, _spare, _hasSpare);

    public void Restore((ulong State, double Spare, bool HasSpare) s) => (_state, _spare, _hasSpare) = s;
}

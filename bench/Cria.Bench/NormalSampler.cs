namespace Cria.Bench;

/// <summary>
/// Normally distributed floats from SplitMix64 and the Box–Muller transform. Every stream is keyed by
/// (seed, tensor, row), so a file's bytes do not depend on how rows are spread over threads.
/// </summary>
internal struct NormalSampler
{
    private ulong _state;
    private float _spare;
    private bool _hasSpare;

    public NormalSampler(ulong seed, int tensor, long row)
    {
        _state = Mix(seed ^ Mix((ulong)tensor << 40 ^ (ulong)row));
        _spare = 0;
        _hasSpare = false;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private double NextUnit()
    {
        _state += 0x9E3779B97F4A7C15UL;
        // 53 random bits, shifted off zero so the logarithm below stays finite.
        return ((Mix(_state) >> 11) + 0.5) * (1.0 / (1UL << 53));
    }

    public float Next(float std)
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare * std;
        }
        double r = Math.Sqrt(-2 * Math.Log(NextUnit()));
        (double sin, double cos) = Math.SinCos(2 * Math.PI * NextUnit());
        _spare = (float)(r * sin);
        _hasSpare = true;
        return (float)(r * cos) * std;
    }
}

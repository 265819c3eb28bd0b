namespace Cria.Model;

/// <summary>
/// Rotary position embedding: per-pair inverse frequencies (with linear, LLaMA-3 or per-pair factor
/// scaling) and the rotation of one head's vector in either pair layout.
/// </summary>
public sealed unsafe class Rope
{
    private readonly float[] _invFreq;
    private readonly RopeLayout _layout;

    public int RotaryDims { get; }
    public int Pairs => RotaryDims / 2;

    public Rope(LlamaConfig c, float[]? freqFactors = null)
    {
        RotaryDims = c.RopeDim;
        _layout = c.RopeLayout;
        _invFreq = InverseFrequencies(c, freqFactors);
    }

    public static float[] InverseFrequencies(LlamaConfig c, float[]? freqFactors)
    {
        int pairs = c.RopeDim / 2;
        float[] inv = new float[pairs];
        for (int i = 0; i < pairs; i++) inv[i] = 1f / MathF.Pow(c.RopeTheta, 2 * i / (float)c.RopeDim);

        RopeScaling s = c.RopeScaling;
        if (s.Type == RopeScalingType.Linear)
        {
            for (int i = 0; i < pairs; i++) inv[i] /= s.Factor;
        }
        else if (s.Type == RopeScalingType.Llama3)
        {
            // Long wavelengths are slowed by the factor, short ones kept, and the band between interpolated.
            float lowWavelen = s.OriginalMaxPositions / s.LowFreqFactor;
            float highWavelen = s.OriginalMaxPositions / s.HighFreqFactor;
            for (int i = 0; i < pairs; i++)
            {
                float wavelen = 2 * MathF.PI / inv[i];
                if (wavelen > lowWavelen) inv[i] /= s.Factor;
                else if (wavelen >= highWavelen)
                {
                    float smooth = (s.OriginalMaxPositions / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    inv[i] = (1 - smooth) * inv[i] / s.Factor + smooth * inv[i];
                }
            }
        }
        if (freqFactors != null)
        {
            if (freqFactors.Length != pairs) throw new Formats.CriaFormatException("rope_freqs.weight", "shape", $"has {freqFactors.Length} factors, expected {pairs}");
            for (int i = 0; i < pairs; i++) inv[i] /= freqFactors[i];
        }
        return inv;
    }

    /// <summary>Writes cos and sin of each pair's angle at <paramref name="position"/> (each Pairs long).</summary>
    public void Angles(int position, float* cos, float* sin)
    {
        for (int i = 0; i < _invFreq.Length; i++)
        {
            float angle = position * _invFreq[i];
            cos[i] = MathF.Cos(angle);
            sin[i] = MathF.Sin(angle);
        }
    }

    /// <summary>Rotates one head's vector in place.</summary>
    public void Rotate(float* v, float* cos, float* sin)
    {
        int pairs = Pairs;
        if (_layout == RopeLayout.Interleaved)
        {
            for (int i = 0; i < pairs; i++)
            {
                float a = v[2 * i], b = v[2 * i + 1];
                v[2 * i] = a * cos[i] - b * sin[i];
                v[2 * i + 1] = a * sin[i] + b * cos[i];
            }
        }
        else
        {
            for (int i = 0; i < pairs; i++)
            {
                float a = v[i], b = v[i + pairs];
                v[i] = a * cos[i] - b * sin[i];
                v[i + pairs] = b * cos[i] + a * sin[i];
            }
        }
    }
}

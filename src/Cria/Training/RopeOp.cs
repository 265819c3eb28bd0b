using Cria.Model;

namespace Cria.Training;

/// <summary>
/// Rotary embedding over [n, heads·headDim] activations, position = token index within its row of T, in
/// either pair layout (interleaved pairs for llama2.c/GGUF weights, rotate-half for Hugging Face ones). The
/// backward is the inverse rotation (sin negated).
/// </summary>
public sealed unsafe class RopeOp
{
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly int _pairs;
    private readonly int _headDim;
    private readonly bool _interleaved;

    public RopeOp(LlamaConfig c, int seqLen)
    {
        float[] inv = Rope.InverseFrequencies(c, null);
        _pairs = inv.Length;
        _headDim = c.HeadDim;
        _interleaved = c.RopeLayout == RopeLayout.Interleaved;
        _cos = new float[seqLen * _pairs];
        _sin = new float[seqLen * _pairs];
        for (int p = 0; p < seqLen; p++)
            for (int i = 0; i < _pairs; i++)
            {
                float angle = p * inv[i];
                _cos[p * _pairs + i] = MathF.Cos(angle);
                _sin[p * _pairs + i] = MathF.Sin(angle);
            }
    }

    public void Forward(float* v, int n, int seqLen, int heads) => Apply(v, n, seqLen, heads, 1f);

    public void Backward(float* dv, int n, int seqLen, int heads) => Apply(dv, n, seqLen, heads, -1f);

    private void Apply(float* v, int n, int seqLen, int heads, float sign)
    {
        for (int t = 0; t < n; t++)
        {
            int pos = t % seqLen;
            for (int h = 0; h < heads; h++)
            {
                float* x = v + ((long)t * heads + h) * _headDim;
                for (int i = 0; i < _pairs; i++)
                {
                    float c = _cos[pos * _pairs + i], s = sign * _sin[pos * _pairs + i];
                    int ia = _interleaved ? 2 * i : i, ib = _interleaved ? 2 * i + 1 : i + _pairs;
                    float a = x[ia], b = x[ib];
                    x[ia] = a * c - b * s;
                    x[ib] = a * s + b * c;
                }
            }
        }
    }
}

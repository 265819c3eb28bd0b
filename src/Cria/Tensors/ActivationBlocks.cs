using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Activations rounded to int8 blocks of 32 with one scale each, the form ggml's Q8_0 vec_dot takes: the scale is
/// max|x|/127 rounded to fp16, the values round(x·127/max|x|) with ties to even. The integers are stored
/// contiguously per token (so a 32-byte load is one block) and the scales separately.
/// </summary>
internal sealed unsafe class ActivationBlocks
{
    public const int Block = 32;

    private sbyte* _q;
    private float* _d;
    private long _qCapacity, _dCapacity;

    public int Tokens { get; private set; }
    public int K { get; private set; }
    public int BlocksPerToken => K / Block;

    public sbyte* Q(int token) => _q + (long)token * K;
    public float* D(int token) => _d + (long)token * BlocksPerToken;

    /// <summary>Makes room for tokens×k values; grows only, so steady-state decoding allocates nothing.</summary>
    public void Reserve(int tokens, int k)
    {
        if (k % Block != 0) throw new ArgumentException($"activation length {k} is not a multiple of {Block}");
        Tokens = tokens;
        K = k;
        long q = (long)tokens * k, d = q / Block;
        if (q > _qCapacity)
        {
            if (_q != null) NativeMemory.AlignedFree(_q);
            _q = (sbyte*)NativeMemory.AlignedAlloc((nuint)q, 64);
            _qCapacity = q;
        }
        if (d > _dCapacity)
        {
            if (_d != null) NativeMemory.AlignedFree(_d);
            _d = (float*)NativeMemory.AlignedAlloc((nuint)(d * sizeof(float)), 64);
            _dCapacity = d;
        }
    }

    /// <summary>Quantizes token t of x (row length K).</summary>
    public void QuantizeToken(float* x, int t)
    {
        float* src = x + (long)t * K;
        sbyte* q = Q(t);
        float* d = D(t);
        for (int b = 0; b < BlocksPerToken; b++) QuantizeBlock(src + b * Block, q + b * Block, d + b);
    }

    private static void QuantizeBlock(float* x, sbyte* q, float* d)
    {
        float amax;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256.Max(Vector256.Max(Vector256.Abs(Vector256.Load(x)), Vector256.Abs(Vector256.Load(x + 8))),
                Vector256.Max(Vector256.Abs(Vector256.Load(x + 16)), Vector256.Abs(Vector256.Load(x + 24))));
            amax = 0;
            for (int i = 0; i < 8; i++) amax = MathF.Max(amax, m.GetElement(i));
        }
        else
        {
            amax = 0;
            for (int i = 0; i < Block; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
        }
        float id = amax != 0 ? 127f / amax : 0f;
        *d = HalfTable.Values[BitConverter.HalfToUInt16Bits((Half)(amax / 127f))];
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vid = Vector256.Create(id);
            Vector256<int> r0 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x) * vid));
            Vector256<int> r1 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 8) * vid));
            Vector256<int> r2 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 16) * vid));
            Vector256<int> r3 = Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(x + 24) * vid));
            Vector256.Narrow(Vector256.Narrow(r0, r1), Vector256.Narrow(r2, r3)).Store(q);
        }
        else
        {
            for (int i = 0; i < Block; i++) q[i] = (sbyte)(int)MathF.Round(x[i] * id, MidpointRounding.ToEven);
        }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Activations rounded to int8 blocks, in one of two forms. Blocks of 32 (for Q8_0 / Q4_0 weights, as ggml's Q8_0
/// vec_dot takes them): scale max|x|/127 rounded to fp16, values round(x·127/max|x|) with ties to even. Blocks of
/// 256 (for the K-quants, like ggml's Q8_K): a float32 scale max|x|/127, the same rounding, and the sum of each 16
/// values, which the K-quant products need for their offsets. The integers are stored contiguously per token (so a
/// 32-byte load is 32 consecutive values) and the scales and sums separately.
/// </summary>
internal sealed unsafe class ActivationBlocks
{
    private sbyte* _q;
    private float* _d;
    private int* _sums;
    private long _qCapacity, _dCapacity, _sumCapacity;

    public int Tokens { get; private set; }
    public int K { get; private set; }

    /// <summary>32 or 256.</summary>
    public int Block { get; private set; }

    public int BlocksPerToken => K / Block;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public sbyte* Q(int token) => _q + (long)token * K;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* D(int token) => _d + (long)token * BlocksPerToken;

    /// <summary>Σ of each 16 values (blocks of 256 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int* Sums(int token) => _sums + (long)token * (K / 16);

    /// <summary>Makes room for tokens×k values; grows only, so steady-state decoding allocates nothing.</summary>
    public void Reserve(int tokens, int k, int block)
    {
        if (k % block != 0) throw new ArgumentException($"activation length {k} is not a multiple of {block}");
        Tokens = tokens;
        K = k;
        Block = block;
        long q = (long)tokens * k, d = q / block;
        if (block == 256 && q / 16 > _sumCapacity)
        {
            if (_sums != null) NativeMemory.AlignedFree(_sums);
            _sums = (int*)NativeMemory.AlignedAlloc((nuint)(q / 16 * sizeof(int)), 64);
            _sumCapacity = q / 16;
        }
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void QuantizeToken(float* x, int t)
    {
        float* src = x + (long)t * K;
        sbyte* q = Q(t);
        float* d = D(t);
        if (Block == 32)
        {
            for (int b = 0; b < BlocksPerToken; b++) QuantizeBlock32(src + b * 32, q + b * 32, d + b);
            return;
        }
        int* sums = Sums(t);
        for (int b = 0; b < BlocksPerToken; b++)
        {
            float amax = 0;
            float* xb = src + b * 256;
            for (int i = 0; i < 256; i += 32) amax = MathF.Max(amax, MaxAbs32(xb + i));
            float id = amax != 0 ? 127f / amax : 0f;
            d[b] = amax / 127f;
            for (int i = 0; i < 256; i += 32) Round32(xb + i, id, q + b * 256 + i);
        }
        for (int j = 0; j < K / 16; j++)
        {
            int s = 0;
            for (int i = 0; i < 16; i++) s += q[j * 16 + i];
            sums[j] = s;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxAbs32(float* x)
    {
        float amax = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> m = Vector256.Max(Vector256.Max(Vector256.Abs(Vector256.Load(x)), Vector256.Abs(Vector256.Load(x + 8))),
                Vector256.Max(Vector256.Abs(Vector256.Load(x + 16)), Vector256.Abs(Vector256.Load(x + 24))));
            for (int i = 0; i < 8; i++) amax = MathF.Max(amax, m.GetElement(i));
        }
        else
        {
            for (int i = 0; i < 32; i++) amax = MathF.Max(amax, MathF.Abs(x[i]));
        }
        return amax;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round32(float* x, float id, sbyte* q)
    {
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
            for (int i = 0; i < 32; i++) q[i] = (sbyte)(int)MathF.Round(x[i] * id, MidpointRounding.ToEven);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuantizeBlock32(float* x, sbyte* q, float* d)
    {
        float amax = MaxAbs32(x);
        float id = amax != 0 ? 127f / amax : 0f;
        *d = HalfTable.Values[BitConverter.HalfToUInt16Bits((Half)(amax / 127f))];
        Round32(x, id, q);
    }
}

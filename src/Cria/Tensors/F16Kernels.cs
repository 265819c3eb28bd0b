using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cria.Tensors;

/// <summary>
/// Matrix-vector products straight from fp16 weights, widening them to float32 in registers instead of through a
/// scratch buffer. The conversion is exact and each (row, token) value is summed exactly as <see cref="DotKernels"/>
/// sums it (one vector accumulator over full vectors, its horizontal sum, then the scalar tail), so these results
/// are bit-identical to converting the rows first and calling <see cref="DotKernels.Block"/>: a token decoded
/// alone and the same token in a prefill batch give the same bits.
/// </summary>
internal static unsafe class F16Kernels
{
    /// <summary>Whether <see cref="Rows"/> has a path at the current SIMD level.</summary>
    public static bool Available => Simd.Level is SimdLevel.V512 or SimdLevel.V256;

    /// <summary>y[r] = dot(W row r0 + r, x) for rows [0, rows), one token.</summary>
    public static void Rows(byte* w, long rowBytes, int rows, int k, float* x, float* y)
    {
        if (Simd.Level == SimdLevel.V512) Rows512(w, rowBytes, rows, k, x, y);
        else Rows256(w, rowBytes, rows, k, x, y);
    }

    private static readonly float Two112 = BitConverter.Int32BitsToSingle(0x77800000);

    // fp16 bits (zero-extended) to float32: exponent and mantissa shifted into place and rescaled by 2^112, which is
    // exact for normal and subnormal values; infinities and NaNs get the full exponent; then the sign.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> ToSingle(Vector512<uint> h)
    {
        Vector512<uint> em = (h & Vector512.Create(0x7FFFu)) << 13;
        Vector512<float> f = em.AsSingle() * Vector512.Create(Two112);
        Vector512<uint> special = Vector512.Equals(h & Vector512.Create(0x7C00u), Vector512.Create(0x7C00u));
        f = Vector512.ConditionalSelect(special.AsSingle(), (em | Vector512.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | ((h & Vector512.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ToSingle(Vector256<uint> h)
    {
        Vector256<uint> em = (h & Vector256.Create(0x7FFFu)) << 13;
        Vector256<float> f = em.AsSingle() * Vector256.Create(Two112);
        Vector256<uint> special = Vector256.Equals(h & Vector256.Create(0x7C00u), Vector256.Create(0x7C00u));
        f = Vector256.ConditionalSelect(special.AsSingle(), (em | Vector256.Create(0x7F800000u)).AsSingle(), f);
        return (f.AsUInt32() | ((h & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16(ushort* p) => ToSingle(Vector512.WidenLower(Vector256.Load(p).ToVector512Unsafe()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(ushort* p) => ToSingle(Vector256.WidenLower(Vector128.Load(p).ToVector256Unsafe()));

    private static float Tail(ushort* w, float* x, int from, int k, float s)
    {
        for (int i = from; i < k; i++) s += HalfTable.Values[w[i]] * x[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows512(byte* w, long rowBytes, int rows, int k, float* x, float* y)
    {
        int kv = k & ~15, r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ushort* w0 = (ushort*)(w + r * rowBytes), w1 = (ushort*)((byte*)w0 + rowBytes), w2 = (ushort*)((byte*)w1 + rowBytes), w3 = (ushort*)((byte*)w2 + rowBytes);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < kv; i += 16)
            {
                Vector512<float> vx = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(Load16(w0 + i), vx, a0);
                a1 = Vector512.FusedMultiplyAdd(Load16(w1 + i), vx, a1);
                a2 = Vector512.FusedMultiplyAdd(Load16(w2 + i), vx, a2);
                a3 = Vector512.FusedMultiplyAdd(Load16(w3 + i), vx, a3);
            }
            y[r] = Tail(w0, x, kv, k, Vector512.Sum(a0));
            y[r + 1] = Tail(w1, x, kv, k, Vector512.Sum(a1));
            y[r + 2] = Tail(w2, x, kv, k, Vector512.Sum(a2));
            y[r + 3] = Tail(w3, x, kv, k, Vector512.Sum(a3));
        }
        for (; r < rows; r++)
        {
            ushort* wr = (ushort*)(w + r * rowBytes);
            Vector512<float> a = default;
            for (int i = 0; i < kv; i += 16) a = Vector512.FusedMultiplyAdd(Load16(wr + i), Vector512.Load(x + i), a);
            y[r] = Tail(wr, x, kv, k, Vector512.Sum(a));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows256(byte* w, long rowBytes, int rows, int k, float* x, float* y)
    {
        int kv = k & ~7, r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ushort* w0 = (ushort*)(w + r * rowBytes), w1 = (ushort*)((byte*)w0 + rowBytes), w2 = (ushort*)((byte*)w1 + rowBytes), w3 = (ushort*)((byte*)w2 + rowBytes);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int i = 0; i < kv; i += 8)
            {
                Vector256<float> vx = Vector256.Load(x + i);
                a0 = Vector256.FusedMultiplyAdd(Load8(w0 + i), vx, a0);
                a1 = Vector256.FusedMultiplyAdd(Load8(w1 + i), vx, a1);
                a2 = Vector256.FusedMultiplyAdd(Load8(w2 + i), vx, a2);
                a3 = Vector256.FusedMultiplyAdd(Load8(w3 + i), vx, a3);
            }
            y[r] = Tail(w0, x, kv, k, Vector256.Sum(a0));
            y[r + 1] = Tail(w1, x, kv, k, Vector256.Sum(a1));
            y[r + 2] = Tail(w2, x, kv, k, Vector256.Sum(a2));
            y[r + 3] = Tail(w3, x, kv, k, Vector256.Sum(a3));
        }
        for (; r < rows; r++)
        {
            ushort* wr = (ushort*)(w + r * rowBytes);
            Vector256<float> a = default;
            for (int i = 0; i < kv; i += 8) a = Vector256.FusedMultiplyAdd(Load8(wr + i), Vector256.Load(x + i), a);
            y[r] = Tail(wr, x, kv, k, Vector256.Sum(a));
        }
    }
}

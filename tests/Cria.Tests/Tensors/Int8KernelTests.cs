using System.Runtime.Intrinsics.X86;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// The Q8_0 / Q4_0 kernels that multiply GGUF blocks against int8 activations: the scalar emulation, AVX2 and
/// AVX-VNNI paths must give the same bits, on row counts that are not multiples of the 4-row tile or the 16-row
/// work block and token counts that are not multiples of the 4-token tile.
/// </summary>
[Collection("simd")]
public class Int8KernelTests
{
    private static unsafe float[] Run(DType type, byte[] w, int rows, int cols, float[] x, int tokens, SimdLevel level, bool vnni)
    {
        SimdLevel previous = Simd.Override(level);
        bool allow = MatMul.AllowVnni;
        MatMul.AllowVnni = vnni;
        try
        {
            float[] y = new float[tokens * rows];
            fixed (byte* pw = w)
            fixed (float* px = x, py = y)
            {
                WeightTensor t = new("w", type, rows, cols, pw);
                MatMul.Forward(t, px, tokens, py);
            }
            return y;
        }
        finally
        {
            MatMul.AllowVnni = allow;
            Simd.Override(previous);
        }
    }

    internal static unsafe byte[] RandomWeights(DType type, int rows, int cols, Random rng)
    {
        float[] src = new float[rows * cols];
        for (int i = 0; i < src.Length; i++) src[i] = (float)(rng.NextDouble() * 2 - 1);
        byte[] data = new byte[type.ByteCount(src.Length)];
        long rowBytes = type.ByteCount(cols);
        fixed (byte* p = data)
            for (int r = 0; r < rows; r++) Quantize.Row(type, src.AsSpan(r * cols, cols), p + r * rowBytes);
        return data;
    }

    [SkippableTheory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.Q4_K)]
    [InlineData(DType.Q6_K)]
    public void Scalar_avx2_and_vnni_paths_are_bit_identical(DType type)
    {
        Skip.IfNot(Avx2.IsSupported, "no AVX2 on this CPU");
        foreach ((int rows, int cols, int tokens) in new[] { (1, 32, 1), (7, 96, 3), (37, 320, 5), (21, 64, 9), (53, 160, 1), (19, 768, 6), (3, 256, 2) })
        {
            if (cols % type.BlockSize() != 0) continue;
            Random rng = new(rows * 7 + cols + tokens);
            byte[] w = RandomWeights(type, rows, cols, rng);
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
            float[] scalar = Run(type, w, rows, cols, x, tokens, SimdLevel.Scalar, vnni: false);
            float[] avx2 = Run(type, w, rows, cols, x, tokens, SimdLevel.V256, vnni: false);
            Assert.Equal(scalar, avx2);
            if (AvxVnni.IsSupported) Assert.Equal(scalar, Run(type, w, rows, cols, x, tokens, Simd.Detected, vnni: true));
        }
    }

    [Fact]
    public unsafe void Zero_blocks_and_extreme_values_stay_exact()
    {
        // A zero activation block (scale 0) and weights at ±127 / nibbles 0 and 15: the integer paths must not saturate.
        const int rows = 5, cols = 64;
        float[] src = new float[rows * cols];
        for (int i = 0; i < src.Length; i++) src[i] = i % 2 == 0 ? 1f : -1f;
        float[] x = new float[cols];
        for (int i = 32; i < cols; i++) x[i] = i % 3 == 0 ? -3f : 3f;
        foreach (DType type in new[] { DType.Q8_0, DType.Q4_0 })
        {
            byte[] w = new byte[type.ByteCount(src.Length)];
            fixed (byte* p = w) Quantize.Row(type, src, p);
            float[] expected = new float[rows];
            float[] row = new float[cols];
            double[] xr = Int8ActivationReference.Rounded(x);
            fixed (byte* p = w)
                for (int r = 0; r < rows; r++)
                {
                    Dequantize.Row(type, p + r * type.ByteCount(cols), row);
                    double s = 0;
                    for (int i = 0; i < cols; i++) s += row[i] * xr[i];
                    expected[r] = (float)s;
                }
            foreach (SimdLevel level in new[] { SimdLevel.Scalar, Simd.Detected })
            {
                float[] y = Run(type, w, rows, cols, x, 1, level, vnni: true);
                for (int r = 0; r < rows; r++) Assert.True(Math.Abs(y[r] - expected[r]) <= 1e-4 * Math.Abs(expected[r]) + 1e-5, $"{type} {level} r={r}: {y[r]} vs {expected[r]}");
            }
        }
    }
}

/// <summary>Cria's int8 products against ggml's own CPU vec_dot on the same blocks.</summary>
public class Int8KernelGgmlTests
{
    [SkippableTheory]
    [InlineData(DType.Q8_0, 1e-5)]
    [InlineData(DType.Q4_0, 1e-5)]
    // ggml's Q8_K rounds activations with a signed scale (−127/max), Cria symmetrically: a few values differ by one step.
    [InlineData(DType.Q4_K, 2e-3)]
    [InlineData(DType.Q6_K, 2e-3)]
    public unsafe void Matches_ggml_vec_dot(DType type, double relative)
    {
        GgmlCpuReference ggml = GgmlCpuReference.Get();
        const int rows = 13;
        foreach (int cols in new[] { 256, 768, 2048 })
        {
            Random rng = new(cols + (int)type);
            byte[] w = Int8KernelTests.RandomWeights(type, rows, cols, rng);
            float[] x = new float[cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            float[] y = new float[rows];
            long rowBytes = type.ByteCount(cols);
            float[] row = new float[cols];
            fixed (byte* pw = w)
            fixed (float* px = x, py = y)
            {
                MatMul.Forward(new WeightTensor("w", type, rows, cols, pw), px, 1, py);
                for (int r = 0; r < rows; r++)
                {
                    float expected = ggml.VecDot(type, pw + r * rowBytes, x);
                    Dequantize.Row(type, pw + r * rowBytes, row);
                    double scale = 0;
                    for (int i = 0; i < cols; i++) scale += Math.Abs(row[i] * x[i]);
                    Assert.True(Math.Abs(y[r] - expected) <= relative * scale, $"{type} {cols} r={r}: Cria {y[r]} vs ggml {expected} (Σ|w·x| {scale:F2})");
                }
            }
        }
    }
}

/// <summary>After its first call on a thread, MatMul allocates no managed memory, whatever the weight type.</summary>
public class MatMulAllocationTests
{
    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_K)]
    public unsafe void Steady_state_calls_allocate_nothing(DType type)
    {
        const int rows = 40, cols = 256;
        byte[] w = type == DType.F32 ? new byte[rows * cols * 4] : Int8KernelTests.RandomWeights(type == DType.F16 ? DType.Q8_0 : type, rows, cols, new Random(1));
        if (type == DType.F16) w = new byte[rows * cols * 2];
        float[] x = new float[3 * cols], y = new float[3 * rows];
        using WorkerPool pool = new(2);
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            WeightTensor t = new("w", type, rows, cols, pw);
            MatMul.Forward(t, px, 3, py, pool);
            MatMul.Forward(t, px, 1, py, pool);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                MatMul.Forward(t, px, 1, py, pool);
                MatMul.Forward(t, px, 3, py, pool);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}

using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

[Collection("simd")]
public class MatMulTests
{
    public static TheoryData<SimdLevel, DType> Levels()
    {
        TheoryData<SimdLevel, DType> d = new();
        foreach (SimdLevel l in Enum.GetValues<SimdLevel>())
            foreach (DType t in new[] { DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K })
                d.Add(l, t);
        return d;
    }

    private static unsafe WeightTensor Weights(DType type, int rows, int cols, Random rng)
    {
        float[] src = new float[rows * cols];
        for (int i = 0; i < src.Length; i++) src[i] = (float)(rng.NextDouble() * 2 - 1);
        WeightTensor f32 = WeightTensor.AllocateF32("w", rows, cols);
        if (type == DType.F32)
        {
            src.CopyTo(f32.AsF32Span());
            return f32;
        }
        // Store quantized bytes in the F32 tensor's native buffer (it is larger than any quantized row set).
        long rowBytes = type.ByteCount(cols);
        for (int r = 0; r < rows; r++) Quantize.Row(type, src.AsSpan(r * cols, cols), f32.Data + r * rowBytes);
        return new OwnedView(type, rows, cols, f32).Tensor;
    }

    private sealed unsafe class OwnedView(DType type, int rows, int cols, WeightTensor owner)
    {
        public WeightTensor Tensor { get; } = new("w", type, rows, cols, owner.Data);
        public WeightTensor Owner => owner;
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public unsafe void Matches_float64_reference_on_odd_sizes(SimdLevel level, DType type)
    {
        if (level > Simd.Detected) return; // not available on this CPU
        SimdLevel previous = Simd.Override(level);
        try
        {
            foreach ((int rows, int cols, int tokens) in new[] { (1, 32, 1), (7, 96, 3), (21, 160, 9), (37, 64, 70), (5, 512, 4) })
            {
                if (type.IsQuantized() && cols % type.BlockSize() != 0) continue;
                Random rng = new(rows * 1000 + cols + tokens);
                int oddCols = type == DType.F32 || type == DType.F16 || type == DType.BF16 ? cols + 3 : cols;
                WeightTensor w = Weights(type, rows, oddCols, rng);
                float[] x = new float[tokens * oddCols];
                for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
                float[] y = new float[tokens * rows];
                fixed (float* px = x, py = y) MatMul.Forward(w, px, tokens, py);

                // Q8_0 / Q4_0 products take the activations rounded to int8 blocks: so does the reference.
                double[] xr = MatMul.QuantizesActivations(type)
                    ? Enumerable.Range(0, tokens).SelectMany(t => Int8ActivationReference.Rounded(x.AsSpan(t * oddCols, oddCols), type)).ToArray()
                    : x.Select(v => (double)v).ToArray();
                float[] row = new float[oddCols];
                for (int r = 0; r < rows; r++)
                {
                    w.ReadRow(r, row);
                    for (int t = 0; t < tokens; t++)
                    {
                        double expected = 0;
                        for (int i = 0; i < oddCols; i++) expected += row[i] * xr[t * oddCols + i];
                        Assert.True(Math.Abs(y[t * rows + r] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)) + 1e-5,
                            $"{level} {type} {rows}x{oddCols} t={t} r={r}: {y[t * rows + r]} vs {expected}");
                    }
                }
            }
        }
        finally
        {
            Simd.Override(previous);
        }
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.Q4_K)]
    [InlineData(DType.Q6_K)]
    public unsafe void Prefill_and_single_token_products_are_bit_identical(DType type)
    {
        Random rng = new(5);
        int rows = 45, cols = type.BlockSize() == 256 ? 512 : type.IsQuantized() ? 160 : 131, tokens = 11;
        WeightTensor w = Weights(type, rows, cols, rng);
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble() - 0.5f;
        float[] batch = new float[tokens * rows], single = new float[rows];
        fixed (float* px = x, pb = batch, ps = single)
        {
            MatMul.Forward(w, px, tokens, pb);
            for (int t = 0; t < tokens; t++)
            {
                MatMul.Forward(w, px + t * cols, 1, ps);
                for (int r = 0; r < rows; r++) Assert.Equal(BitConverter.SingleToInt32Bits(batch[t * rows + r]), BitConverter.SingleToInt32Bits(single[r]));
            }
        }
    }

    [Theory]
    [InlineData(DType.Q8_0, DType.Q8_0, DType.Q8_0)]
    [InlineData(DType.Q4_0, DType.Q4_0, DType.Q4_0)]
    [InlineData(DType.Q4_0, DType.Q8_0, DType.Q4_0)]
    [InlineData(DType.Q4_K, DType.Q6_K, DType.Q4_K)]
    [InlineData(DType.F16, DType.F32, DType.F16)]
    [InlineData(DType.Q8_0, DType.F16, DType.Q6_K)]
    public unsafe void Shared_input_products_equal_separate_ones_bit_for_bit(DType t0, DType t1, DType t2)
    {
        Random rng = new(9);
        int cols = 512;
        // Row counts that are not multiples of the 16-row work blocks, so the parts' blocks interleave unevenly.
        WeightTensor w0 = Weights(t0, 37, cols, rng), w1 = Weights(t1, 5, cols, rng), w2 = Weights(t2, 21, cols, rng);
        foreach (int tokens in new[] { 1, 6 })
        {
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble() - 0.5f;
            float[][] fused = [new float[tokens * 37], new float[tokens * 5], new float[tokens * 21]];
            float[][] alone = [new float[tokens * 37], new float[tokens * 5], new float[tokens * 21]];
            float[] pair0 = new float[tokens * 37], pair1 = new float[tokens * 5];
            fixed (float* px = x, f0 = fused[0], f1 = fused[1], f2 = fused[2], a0 = alone[0], a1 = alone[1], a2 = alone[2], p0 = pair0, p1 = pair1)
            {
                MatMul.Forward(w0, f0, w1, f1, w2, f2, px, tokens);
                MatMul.Forward(w0, p0, w1, p1, px, tokens);
                MatMul.Forward(w0, px, tokens, a0);
                MatMul.Forward(w1, px, tokens, a1);
                MatMul.Forward(w2, px, tokens, a2);
            }
            for (int m = 0; m < 3; m++)
                for (int i = 0; i < alone[m].Length; i++)
                    Assert.Equal(BitConverter.SingleToInt32Bits(alone[m][i]), BitConverter.SingleToInt32Bits(fused[m][i]));
            Assert.Equal(alone[0].Select(BitConverter.SingleToInt32Bits), pair0.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(alone[1].Select(BitConverter.SingleToInt32Bits), pair1.Select(BitConverter.SingleToInt32Bits));
        }
    }
}

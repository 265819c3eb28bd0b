using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>Properties of quantize → dequantize that hold without any reference implementation.</summary>
public class QuantizeRoundTripTests
{
    public static TheoryData<DType> Types() => QuantTestData.Types();

    /// <summary>
    /// Upper bounds on RMS error relative to the RMS of unit Gaussian data, with headroom over what these quantizers
    /// reach on this data (0.0054, 0.087, 0.078, 0.043, 0.038, 0.30, 0.15, 0.072, 0.036, 0.018 in the order below).
    /// </summary>
    public static TheoryData<DType, double> RelativeRmsBounds() => new()
    {
        { DType.Q8_0, 0.0075 },
        { DType.Q4_0, 0.11 },
        { DType.Q4_1, 0.10 },
        { DType.Q5_0, 0.055 },
        { DType.Q5_1, 0.05 },
        { DType.Q2_K, 0.36 },
        { DType.Q3_K, 0.19 },
        { DType.Q4_K, 0.09 },
        { DType.Q5_K, 0.045 },
        { DType.Q6_K, 0.023 },
    };

    [Theory]
    [MemberData(nameof(RelativeRmsBounds))]
    public void Gaussian_rows_round_trip_within_the_type_s_error(DType type, double bound)
    {
        var rng = new Random(11);
        float[] x = Enumerable.Range(0, 64 * 256).Select(_ => QuantTestData.Gaussian(rng)).ToArray();
        float[] back = QuantTestData.Dequantized(type, QuantTestData.Quantized(type, x), x.Length);
        double err2 = 0, ref2 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            err2 += (x[i] - back[i]) * (double)(x[i] - back[i]);
            ref2 += x[i] * (double)x[i];
        }
        double relative = Math.Sqrt(err2 / ref2);
        Assert.True(relative < bound, $"{type}: relative RMS error {relative:F4} exceeds {bound}");
        Assert.True(relative > bound / 10, $"{type}: relative RMS error {relative:F5} is implausibly small for its bit width");
    }

    /// <summary>For the blocks of 32 the worst case per element follows from the scale: half a step, or a whole step for the clamped extreme of the _0 types, plus fp16 rounding of scale and offset.</summary>
    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    [InlineData(DType.Q4_1)]
    [InlineData(DType.Q5_0)]
    [InlineData(DType.Q5_1)]
    public void Legacy_blocks_stay_within_one_step_of_the_input(DType type)
    {
        float[] x = QuantTestData.RandomWeights(7 * 32 * 9, seed: 3);
        float[] back = QuantTestData.Dequantized(type, QuantTestData.Quantized(type, x), x.Length);
        for (int b = 0; b < x.Length / 32; b++)
        {
            var block = x.AsSpan(b * 32, 32);
            float min = float.MaxValue, max = float.MinValue, amax = 0;
            foreach (float v in block) { min = Math.Min(min, v); max = Math.Max(max, v); amax = Math.Max(amax, Math.Abs(v)); }
            float allowed = type switch
            {
                DType.Q8_0 => 0.57f * amax / 127,
                DType.Q4_0 => 1.01f * amax / 8,
                DType.Q5_0 => 1.01f * amax / 16,
                DType.Q4_1 => 0.51f * (max - min) / 15 + 0.001f * Math.Abs(min),
                _ => 0.52f * (max - min) / 31 + 0.001f * Math.Abs(min),
            } + 1e-7f;
            for (int i = 0; i < 32; i++)
            {
                float e = Math.Abs(block[i] - back[b * 32 + i]);
                Assert.True(e <= allowed, $"{type} block {b} element {i}: |{block[i]} - {back[b * 32 + i]}| = {e} > {allowed}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Odd_block_counts_quantize_like_single_blocks(DType type)
    {
        int bs = type.BlockSize();
        foreach (int blocks in new[] { 1, 3, 7 })
        {
            float[] x = QuantTestData.RandomWeights(blocks * bs, seed: blocks);
            byte[] whole = QuantTestData.Quantized(type, x);
            Assert.Equal(blocks * type.BlockBytes(), whole.Length);
            for (int b = 0; b < blocks; b++)
            {
                byte[] one = QuantTestData.Quantized(type, x.AsSpan(b * bs, bs).ToArray());
                Assert.Equal(one, whole.AsSpan(b * type.BlockBytes(), type.BlockBytes()).ToArray());
            }

            float[] back = QuantTestData.Dequantized(type, whole, x.Length);
            for (int b = 0; b < blocks; b++)
            {
                float[] one = QuantTestData.Dequantized(type, whole.AsSpan(b * type.BlockBytes(), type.BlockBytes()).ToArray(), bs);
                Assert.Equal(one, back.AsSpan(b * bs, bs).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Zeros_round_trip_to_zeros(DType type)
    {
        float[] x = new float[3 * type.BlockSize()];
        float[] back = QuantTestData.Dequantized(type, QuantTestData.Quantized(type, x), x.Length);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Quantizing_is_deterministic_and_dequantizing_its_output_is_stable(DType type)
    {
        float[] x = QuantTestData.RandomWeights(4 * type.BlockSize(), seed: 9);
        byte[] first = QuantTestData.Quantized(type, x);
        Assert.Equal(first, QuantTestData.Quantized(type, x));
        // Requantizing dequantized values must not drift far: they are already on (or next to) the grid.
        float[] once = QuantTestData.Dequantized(type, first, x.Length);
        float[] twice = QuantTestData.Dequantized(type, QuantTestData.Quantized(type, once), x.Length);
        double drift = 0, norm = 0;
        for (int i = 0; i < x.Length; i++) { drift += Math.Abs(once[i] - twice[i]); norm += Math.Abs(once[i]); }
        Assert.True(drift <= 0.25 * norm, $"{type}: requantizing moved values by {drift / norm:P1} in total");
    }

    [Fact]
    public unsafe void Wrong_lengths_and_types_are_rejected()
    {
        byte* buffer = stackalloc byte[512];
        var ex = Assert.Throws<NotSupportedException>(() => Quantize.Row((DType)99, new float[256], buffer));
        Assert.Contains("99", ex.Message);
        Assert.Throws<ArgumentException>(() => Quantize.Row(DType.Q4_K, new float[100], buffer));
        Assert.Throws<ArgumentException>(() => Dequantize.Row(DType.Q8_0, buffer, new float[33]));
    }

    [Fact]
    public unsafe void Plain_float_types_round_trip()
    {
        float[] x = [1.5f, -2.25f, 0f, 384f, 1e-3f];
        foreach (DType type in new[] { DType.F32, DType.F16, DType.BF16 })
        {
            byte[] stored = new byte[x.Length * type.BlockBytes()];
            var back = new float[x.Length];
            fixed (byte* p = stored)
            {
                Quantize.Row(type, x, p);
                Dequantize.Row(type, p, back);
            }
            for (int i = 0; i < 4; i++) Assert.Equal(x[i], back[i]);
            Assert.Equal(1e-3f, back[4], type == DType.F32 ? 0f : 1e-5f);
        }
    }
}

using System.Buffers.Binary;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>Seeded inputs for the quantization tests.</summary>
internal static class QuantTestData
{
    public static readonly DType[] QuantizedTypes =
        [DType.Q8_0, DType.Q4_0, DType.Q4_1, DType.Q5_0, DType.Q5_1, DType.Q2_K, DType.Q3_K, DType.Q4_K, DType.Q5_K, DType.Q6_K];

    public static TheoryData<DType> Types()
    {
        var data = new TheoryData<DType>();
        foreach (DType t in QuantizedTypes) data.Add(t);
        return data;
    }

    /// <summary>Offsets of the fp16 fields inside one block.</summary>
    public static int[] HalfFieldOffsets(DType type) => type switch
    {
        DType.Q8_0 or DType.Q4_0 or DType.Q5_0 => [0],
        DType.Q4_1 or DType.Q5_1 or DType.Q4_K or DType.Q5_K => [0, 2],
        DType.Q2_K => [80, 82],
        DType.Q3_K => [108],
        DType.Q6_K => [208],
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Random bytes for every field, except that fp16 fields get finite values (some zero, some negative, some subnormal).</summary>
    public static byte[] RandomBlocks(DType type, int blocks, int seed)
    {
        var rng = new Random(seed);
        var data = new byte[blocks * type.BlockBytes()];
        rng.NextBytes(data);
        for (int b = 0; b < blocks; b++)
        {
            foreach (int offset in HalfFieldOffsets(type))
            {
                int roll = rng.Next(20);
                float value = roll switch
                {
                    0 => 0f,
                    1 => (float)BitConverter.UInt16BitsToHalf((ushort)rng.Next(1, 0x400)), // subnormal
                    _ => (rng.Next(2) == 0 ? -1 : 1) * MathF.Pow(2, rng.Next(-14, 6)) * (1 + rng.NextSingle()),
                };
                BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(b * type.BlockBytes() + offset), BitConverter.HalfToUInt16Bits((Half)value));
            }
        }
        return data;
    }

    /// <summary>
    /// Weight-like rows: Gaussian with a scale that changes every 32 elements, an occasional outlier, and a few
    /// special stretches (all zero, constant, all positive, tiny) so every branch of the quantizers gets exercised.
    /// </summary>
    public static float[] RandomWeights(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int start = 0; start < count; start += 32)
        {
            int kind = rng.Next(16);
            float scale = MathF.Pow(10, rng.NextSingle() * 4 - 3);
            for (int i = start; i < Math.Min(start + 32, count); i++)
            {
                x[i] = kind switch
                {
                    0 => 0f,
                    1 => 0.25f,
                    2 => MathF.Abs(Gaussian(rng)) * scale + 0.1f,
                    3 => Gaussian(rng) * 1e-6f,
                    _ => Gaussian(rng) * scale,
                };
                if (rng.Next(100) == 0) x[i] *= 8;
            }
        }
        return x;
    }

    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public static unsafe float[] Dequantized(DType type, byte[] blocks, int n)
    {
        var result = new float[n];
        fixed (byte* src = blocks) Dequantize.Row(type, src, result);
        return result;
    }

    public static unsafe byte[] Quantized(DType type, float[] x)
    {
        var result = new byte[type.ByteCount(x.Length)];
        fixed (byte* dst = result) Quantize.Row(type, x, dst);
        return result;
    }

    /// <summary>Index and values of the first element whose bits differ, for a readable failure.</summary>
    public static string? FirstBitDifference(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                return $"element {i}: expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), got {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})";
        }
        return null;
    }

    public static string? FirstByteDifference(byte[] expected, byte[] actual, int blockBytes)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
                return $"byte {i} (block {i / blockBytes}, offset {i % blockBytes}): expected 0x{expected[i]:X2}, got 0x{actual[i]:X2}";
        }
        return null;
    }
}

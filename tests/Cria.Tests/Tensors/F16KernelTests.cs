using System.Runtime.Intrinsics;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

[Collection("simd")]
public class F16KernelTests
{
    [Fact]
    public void Register_conversion_equals_Half_for_every_bit_pattern()
    {
        for (int i = 0; i < 65536; i += 16)
        {
            Vector512<uint> h = Vector512.Create(Enumerable.Range(i, 16).Select(v => (uint)v).ToArray());
            Vector512<float> wide = F16Kernels.ToSingle(h);
            Vector256<float> lo = F16Kernels.ToSingle(h.GetLower()), hi = F16Kernels.ToSingle(h.GetUpper());
            for (int j = 0; j < 16; j++)
            {
                float expected = (float)BitConverter.UInt16BitsToHalf((ushort)(i + j));
                float narrow = j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8);
                if (float.IsNaN(expected))
                {
                    Assert.True(float.IsNaN(wide.GetElement(j)) && float.IsNaN(narrow), $"0x{i + j:X4}");
                    continue;
                }
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(wide.GetElement(j)));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(narrow));
            }
        }
    }

    [Theory]
    [InlineData(SimdLevel.V512)]
    [InlineData(SimdLevel.V256)]
    public unsafe void One_token_in_registers_equals_the_batch_path(SimdLevel level)
    {
        if (level > Simd.Detected) return; // not available on this CPU
        SimdLevel previous = Simd.Override(level);
        try
        {
            Random rng = new(11);
            const int rows = 23, cols = 203, tokens = 6;
            ushort[] w = new ushort[rows * cols];
            for (int i = 0; i < w.Length; i++) w[i] = BitConverter.HalfToUInt16Bits((Half)(rng.NextDouble() * 2 - 1));
            float[] x = new float[tokens * cols];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            float[] batch = new float[tokens * rows], single = new float[rows];
            fixed (ushort* pw = w)
            fixed (float* px = x, pb = batch, ps = single)
            {
                WeightTensor t = new("w", DType.F16, rows, cols, (byte*)pw);
                MatMul.Forward(t, px, tokens, pb);
                for (int tok = 0; tok < tokens; tok++)
                {
                    MatMul.Forward(t, px + tok * cols, 1, ps);
                    for (int r = 0; r < rows; r++) Assert.Equal(BitConverter.SingleToInt32Bits(batch[tok * rows + r]), BitConverter.SingleToInt32Bits(single[r]));
                }
            }
        }
        finally
        {
            Simd.Override(previous);
        }
    }
}

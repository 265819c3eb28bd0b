using System.Buffers.Binary;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// One block per type assembled byte by byte from the layout, with expected values worked out by hand. Each block
/// puts a distinct value in the places a layout mistake would move (nibble order, high-bit masks, packed scales).
/// </summary>
public class HandBuiltBlockTests
{
    private static void PutHalf(byte[] block, int offset, float value)
        => BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(offset), BitConverter.HalfToUInt16Bits((Half)value));

    private static void AssertElements(DType type, byte[] block, params (int Index, float Value)[] expected)
    {
        Assert.Equal(type.BlockBytes(), block.Length);
        float[] y = QuantTestData.Dequantized(type, block, type.BlockSize());
        foreach (var (index, value) in expected)
            Assert.True(y[index] == value, $"{type} element {index}: expected {value}, got {y[index]}");
    }

    [Fact]
    public void Q8_0()
    {
        var b = new byte[34];
        PutHalf(b, 0, 0.5f);
        for (int j = 0; j < 32; j++) b[2 + j] = (byte)(sbyte)(j - 16);
        AssertElements(DType.Q8_0, b, (0, -8f), (1, -7.5f), (16, 0f), (31, 7.5f));
    }

    [Fact]
    public void Q4_0()
    {
        var b = new byte[18];
        PutHalf(b, 0, 2f);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte)(j | ((15 - j) << 4));
        // Low nibbles are elements 0..15, high nibbles 16..31, both offset by 8.
        AssertElements(DType.Q4_0, b, (0, -16f), (15, 14f), (16, 14f), (31, -16f));
    }

    [Fact]
    public void Q4_1()
    {
        var b = new byte[20];
        PutHalf(b, 0, 0.5f);
        PutHalf(b, 2, -1f);
        for (int j = 0; j < 16; j++) b[4 + j] = (byte)(j | ((15 - j) << 4));
        AssertElements(DType.Q4_1, b, (0, -1f), (15, 6.5f), (16, 6.5f), (31, -1f));
    }

    [Fact]
    public void Q5_0()
    {
        var b = new byte[22];
        PutHalf(b, 0, 1f);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(2), 0x8000_0001); // fifth bit for elements 0 and 31
        for (int j = 0; j < 16; j++) b[6 + j] = (byte)(j | (j << 4));
        AssertElements(DType.Q5_0, b, (0, 0f), (1, -15f), (16, -16f), (30, -2f), (31, 15f));
    }

    [Fact]
    public void Q5_1()
    {
        var b = new byte[24];
        PutHalf(b, 0, 0.25f);
        PutHalf(b, 2, 10f);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 0x8000_0001);
        for (int j = 0; j < 16; j++) b[8 + j] = (byte)(j | (j << 4));
        AssertElements(DType.Q5_1, b, (0, 14f), (1, 10.25f), (16, 10f), (31, 17.75f));
    }

    [Fact]
    public void Q2_K()
    {
        var b = new byte[84];
        // Sub-block s (16 elements): scale s in the low nibble, min 15 - s in the high nibble.
        for (int s = 0; s < 16; s++) b[s] = (byte)(s | ((15 - s) << 4));
        // First 128 elements: 2-bit pairs 0,1,2,3 from the low bits; second 128: 3,2,1,0. qs[5] is zero.
        for (int i = 0; i < 32; i++) b[16 + i] = 0xE4;
        for (int i = 32; i < 64; i++) b[16 + i] = 0x1B;
        b[16 + 5] = 0;
        PutHalf(b, 80, 1f);
        PutHalf(b, 82, 0.5f);
        // value = d * scale * q - dmin * min; element e reads bits 2 * ((e % 128) / 32) of qs[32 * (e / 128) + e % 32].
        AssertElements(DType.Q2_K, b,
            (0, -7.5f), (40, -4.5f), (37, -6.5f), (38, -4.5f), (100, 13.5f), (101, -4.5f),
            (130, 20.5f), (200, 10.5f), (255, 0f));
    }

    [Fact]
    public void Q3_K()
    {
        var b = new byte[110];
        // High bits set everywhere except element 3 (hmask[3] bit 0) and element 231 = 32 * 7 + 7 (hmask[7] bit 7).
        for (int i = 0; i < 32; i++) b[i] = 0xFF;
        b[3] = 0xFE;
        b[7] = 0x7F;
        for (int i = 0; i < 64; i++) b[32 + i] = 0xE4;
        // Scales s - 8 for s = 0..15, stored as 6-bit s + 24: low nibbles of 0..7 / 8..15 in bytes 0..7,
        // top two bits of s, s+4, s+8, s+12 in byte 8 + s (all 1,1,2,2 here).
        byte[] scales = [0x08, 0x19, 0x2A, 0x3B, 0x4C, 0x5D, 0x6E, 0x7F, 0xA5, 0xA5, 0xA5, 0xA5];
        scales.CopyTo(b, 96);
        PutHalf(b, 108, 0.5f);
        // value = d * (scale) * (low2 - (high bit ? 0 : 4))
        AssertElements(DType.Q3_K, b,
            (3, 16f), (40, -3f), (70, -4f), (170, 1f), (231, -3f), (255, 10.5f));
    }

    /// <summary>Q4_K / Q5_K scales: (scale, min) = (1,4) (2,3) (3,2) (4,1) (40,33) (50,17) (60,48) (63,0).</summary>
    private static readonly byte[] KScales = [0x81, 0xC2, 0xC3, 0xC4, 0x84, 0x43, 0xC2, 0x01, 0x18, 0x12, 0x0C, 0x0F];

    [Fact]
    public void Q4_K()
    {
        var b = new byte[144];
        PutHalf(b, 0, 1f);
        PutHalf(b, 2, 0.25f);
        KScales.CopyTo(b, 4);
        // 32-byte run r: low nibbles (i % 16) are sub-block 2r, high nibbles (3 + r) sub-block 2r + 1.
        for (int i = 0; i < 128; i++) b[16 + i] = (byte)((i % 16) | ((i / 32 + 3) << 4));
        AssertElements(DType.Q4_K, b,
            (0, -1f), (5, 4f), (40, 5.25f), (140, 471.75f), (170, 245.75f), (200, 468f), (255, 378f));
    }

    [Fact]
    public void Q5_K()
    {
        var b = new byte[176];
        PutHalf(b, 0, 1f);
        PutHalf(b, 2, 0.25f);
        KScales.CopyTo(b, 4);
        // qh[l] bit 2r is the fifth bit of element 64r + l, bit 2r + 1 of element 64r + 32 + l.
        b[16 + 12] = 1 << 4; // element 140
        b[16 + 5] = 1 << 7;  // element 229
        for (int i = 0; i < 128; i++) b[48 + i] = (byte)((i % 16) | ((i / 32 + 3) << 4));
        AssertElements(DType.Q5_K, b,
            (5, 4f), (140, 1111.75f), (141, 511.75f), (170, 245.75f), (229, 1386f));
    }

    [Fact]
    public void Q6_K()
    {
        var b = new byte[210];
        // Per 128 elements: ql[l] low/high nibbles are quarters 0/2, ql[32 + l] quarters 1/3;
        // qh[l] bit pairs 0, 2, 4, 6 are the top bits of quarters 0..3.
        for (int i = 0; i < 128; i++) b[i] = 0x21;
        b[64 + 20] = 0xF0; // elements 148 (low nibble 0) and 212 (high nibble 15)
        for (int i = 0; i < 64; i++) b[128 + i] = 0xE4;
        b[128 + 32 + 25] = 0xFF; // elements 153, 185, 217, 249 get top bits 3
        for (int s = 0; s < 16; s++) b[192 + s] = (byte)(sbyte)(s - 8);
        PutHalf(b, 208, 0.5f);
        // value = d * scale * (q6 - 32)
        AssertElements(DType.Q6_K, b,
            (0, 124f), (40, 45f), (70, -4f), (100, -18f), (148, -16f), (150, -15.5f), (153, 8.5f),
            (185, 25.5f), (212, 37.5f), (255, 63f));
    }

    [Fact]
    public void Q8_0_quantizer_stores_integers_exactly_when_the_scale_is_one()
    {
        float[] x = Enumerable.Range(0, 32).Select(j => (float)(-127 + 8 * j)).ToArray();
        byte[] q = QuantTestData.Quantized(DType.Q8_0, x);
        Assert.Equal(new byte[] { 0x00, 0x3C }, q[..2]);
        for (int j = 0; j < 32; j++) Assert.Equal((sbyte)x[j], (sbyte)q[2 + j]);
    }

    [Fact]
    public void Q4_0_quantizer_maps_the_signed_extreme_to_minus_eight()
    {
        // The largest magnitude is -8 (element 0), so d = -8 / -8 = 1 and every integer lands on its own level.
        float[] x = new float[32];
        for (int j = 0; j < 16; j++) { x[j] = j - 8; x[16 + j] = 7 - j; }
        byte[] q = QuantTestData.Quantized(DType.Q4_0, x);
        Assert.Equal(new byte[] { 0x00, 0x3C }, q[..2]);
        for (int j = 0; j < 16; j++) Assert.Equal((byte)(j | ((15 - j) << 4)), q[2 + j]);
    }

    [Fact]
    public void Q6_K_quantizer_reproduces_values_on_its_grid()
    {
        // Integers -32..31 in every 16-element sub-block with the same extreme fit the grid with d * scale = 1 exactly.
        float[] x = Enumerable.Range(0, 256).Select(e => (float)((e * 7) % 64 - 32)).ToArray();
        for (int s = 0; s < 16; s++) x[16 * s] = -32;
        float[] back = QuantTestData.Dequantized(DType.Q6_K, QuantTestData.Quantized(DType.Q6_K, x), 256);
        Assert.Equal(x, back);
    }
}

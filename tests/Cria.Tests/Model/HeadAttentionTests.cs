using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>
/// The blocked attention kernel against a float64 loop over the same keys and values, for head sizes and lengths
/// that end inside a block of 16 positions, on every SIMD path; and what lies past the length never matters.
/// </summary>
[Collection("simd")]
public unsafe class HeadAttentionTests
{
    public static TheoryData<SimdLevel, int, int, int> Cases()
    {
        TheoryData<SimdLevel, int, int, int> d = new();
        foreach (SimdLevel level in new[] { SimdLevel.V512, SimdLevel.V256, SimdLevel.Scalar })
            foreach ((int hd, int heads) in new[] { (8, 2), (6, 3), (12, 1), (16, 2), (34, 1) })
                d.Add(level, hd, heads, 1 + 5 * hd % 23);
        return d;
    }

    private static (KvCache Cache, float[] Q) Random(int hd, int heads, int kvHeads, int positions, int seed)
    {
        Random rng = new(seed);
        KvCache cache = new(2, positions, kvHeads, hd);
        float[] k = new float[kvHeads * hd], v = new float[kvHeads * hd];
        for (int layer = 0; layer < 2; layer++)
            for (int p = 0; p < positions; p++)
            {
                for (int i = 0; i < k.Length; i++)
                {
                    k[i] = (float)(rng.NextDouble() * 4 - 2);
                    v[i] = (float)(rng.NextDouble() * 2 - 1);
                }
                fixed (float* pk = k, pv = v) cache.Write(layer, p, pk, pv);
            }
        float[] q = new float[heads * hd];
        for (int i = 0; i < q.Length; i++) q[i] = (float)(rng.NextDouble() * 2 - 1);
        return (cache, q);
    }

    /// <summary>Softmax-weighted values in float64, reading the cache one position at a time.</summary>
    private static double[] Reference(KvCache cache, int layer, int kvHead, float[] q, int heads, int len, float scale)
    {
        int hd = cache.HeadDim;
        float* keys = cache.KeyBlocks(layer, kvHead), values = cache.ValueBlocks(layer, kvHead);
        double At(float* blocks, int p, int i) => blocks[p / 16 * hd * 16 + i * 16 + p % 16];
        double[] o = new double[heads * hd];
        for (int h = 0; h < heads; h++)
        {
            double[] s = new double[len];
            for (int p = 0; p < len; p++)
            {
                for (int i = 0; i < hd; i++) s[p] += q[h * hd + i] * At(keys, p, i);
                s[p] *= scale;
            }
            double max = s.Max(), sum = s.Sum(x => Math.Exp(x - max));
            for (int p = 0; p < len; p++)
                for (int i = 0; i < hd; i++) o[h * hd + i] += Math.Exp(s[p] - max) / sum * At(values, p, i);
        }
        return o;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_a_float64_reference_at_lengths_inside_and_across_blocks(SimdLevel level, int hd, int heads, int seed)
    {
        SimdLevel previous = Simd.Override(level);
        try
        {
            (KvCache cache, float[] q) = Random(hd, heads, kvHeads: 3, positions: 70, seed);
            using (cache)
            {
                float scale = 1f / MathF.Sqrt(hd);
                float* scores = stackalloc float[HeadAttention.ScratchFloats(70)];
                float[] o = new float[heads * hd];
                foreach (int len in new[] { 1, 2, 15, 16, 17, 31, 48, 63, 64, 65, 70 })
                {
                    fixed (float* pq = q, po = o) HeadAttention.AttendGroup(pq, heads, cache, 1, 2, len, scale, scores, po);
                    double[] want = Reference(cache, 1, 2, q, heads, len, scale);
                    for (int i = 0; i < o.Length; i++)
                        Assert.True(Math.Abs(o[i] - want[i]) <= 2e-6, $"{level} hd {hd} len {len} [{i}]: {o[i]} vs {want[i]}");
                }
            }
        }
        finally
        {
            Simd.Override(previous);
        }
    }

    [Theory]
    [InlineData(SimdLevel.V512)]
    [InlineData(SimdLevel.V256)]
    [InlineData(SimdLevel.Scalar)]
    public void Positions_past_the_length_are_never_read_into_the_result(SimdLevel level)
    {
        SimdLevel previous = Simd.Override(level);
        try
        {
            (KvCache cache, float[] q) = Random(8, 2, kvHeads: 1, positions: 40, seed: 5);
            using (cache)
            {
                float* scores = stackalloc float[HeadAttention.ScratchFloats(40)];
                float[] before = new float[16], after = new float[16];
                fixed (float* pq = q, pb = before) HeadAttention.AttendGroup(pq, 2, cache, 0, 0, 21, 0.35f, scores, pb);
                // Poison every later position of the block and the next one: NaN and infinity must not leak in.
                float[] nan = Enumerable.Repeat(float.NaN, 8).ToArray(), inf = Enumerable.Repeat(float.PositiveInfinity, 8).ToArray();
                fixed (float* pn = nan, pi = inf)
                    for (int p = 21; p < 40; p++) cache.Write(0, p, p % 2 == 0 ? pn : pi, p % 2 == 0 ? pi : pn);
                fixed (float* pq = q, pa = after) HeadAttention.AttendGroup(pq, 2, cache, 0, 0, 21, 0.35f, scores, pa);
                Assert.Equal(before, after);
                Assert.All(after, x => Assert.True(float.IsFinite(x)));
            }
        }
        finally
        {
            Simd.Override(previous);
        }
    }

    [Fact]
    public void A_copied_prefix_attends_like_the_original_across_capacities()
    {
        (KvCache source, float[] q) = Random(12, 1, kvHeads: 2, positions: 37, seed: 9);
        using (source)
        {
            source.Advance(37);
            using KvCache copy = new(2, 50, 2, 12);
            copy.CopyPrefixFrom(source, 33);
            Assert.Equal(33, copy.Length);
            float* scores = stackalloc float[HeadAttention.ScratchFloats(50)];
            float[] a = new float[12], b = new float[12];
            fixed (float* pq = q, pa = a, pb = b)
            {
                HeadAttention.AttendGroup(pq, 1, source, 1, 1, 33, 0.3f, scores, pa);
                HeadAttention.AttendGroup(pq, 1, copy, 1, 1, 33, 0.3f, scores, pb);
            }
            Assert.Equal(a, b);
        }
    }
}

using Cria.Tensors;

namespace Cria.Tests.Tensors;

/// <summary>
/// The training GEMM against a float64 reference and against its defining order (one fused multiply-add chain
/// per element over k, from C or zero), on sizes that are not multiples of any tile or block, in the three
/// layouts training uses, at every SIMD level and thread count.
/// </summary>
[Collection("simd")]
public class GemmTests
{
    // (m, n, k): single elements, tile edges, several M/K blocks (McMax 168, KcMax 256), two N blocks (NcMax 4096).
    private static readonly (int M, int N, int K)[] Sizes = [(1, 1, 1), (13, 31, 7), (15, 33, 257), (171, 65, 300), (29, 47, 530), (3, 4100, 5)];

    public static TheoryData<SimdLevel, bool, bool> Cases()
    {
        TheoryData<SimdLevel, bool, bool> d = new();
        foreach (SimdLevel l in Enum.GetValues<SimdLevel>())
            foreach ((bool ta, bool tb) in new[] { (false, true), (false, false), (true, false), (true, true) })
                d.Add(l, ta, tb);
        return d;
    }

    private static float[] RandomArray(int n, Random rng)
    {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static unsafe float[] Run(WorkerPool pool, int m, int n, int k, float[] a, bool ta, float[] b, bool tb, float[] c0, bool accumulate)
    {
        float[] c = (float[])c0.Clone();
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Multiply(pool, m, n, k, pa, ta ? m : k, ta, pb, tb ? k : n, tb, pc, n, accumulate);
        return c;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_float64_and_the_fma_chain_at_every_thread_count(SimdLevel level, bool transA, bool transB)
    {
        if (level > Simd.Detected) return; // not available on this CPU
        SimdLevel previous = Simd.Override(level);
        using WorkerPool one = new(1), two = new(2), three = new(3);
        try
        {
            foreach ((int m, int n, int k) in Sizes)
                foreach (bool accumulate in new[] { false, true })
                {
                    Random rng = new(m * 7919 + n * 31 + k);
                    float[] a = RandomArray(m * k, rng), b = RandomArray(k * n, rng), c0 = RandomArray(m * n, rng);
                    float[] c1 = Run(one, m, n, k, a, transA, b, transB, c0, accumulate);
                    float[] c2 = Run(two, m, n, k, a, transA, b, transB, c0, accumulate);
                    float[] c3 = Run(three, m, n, k, a, transA, b, transB, c0, accumulate);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            float chain = accumulate ? c0[i * n + j] : 0f;
                            double exact = chain, magnitude = Math.Abs(chain);
                            for (int p = 0; p < k; p++)
                            {
                                float av = transA ? a[p * m + i] : a[i * k + p];
                                float bv = transB ? b[j * k + p] : b[p * n + j];
                                chain = MathF.FusedMultiplyAdd(av, bv, chain);
                                exact += (double)av * bv;
                                magnitude += Math.Abs((double)av * bv);
                            }
                            int e = i * n + j;
                            string where = $"{level} transA={transA} transB={transB} acc={accumulate} {m}x{n}x{k} at ({i}, {j})";
                            Assert.True(Math.Abs(c1[e] - exact) <= 1e-6 * magnitude * Math.Sqrt(k) + 1e-7, $"{where}: {c1[e]} vs {exact}");
                            Assert.True(BitConverter.SingleToInt32Bits(chain) == BitConverter.SingleToInt32Bits(c1[e]), $"{where}: {c1[e]} is not the fma chain {chain}");
                            Assert.True(BitConverter.SingleToInt32Bits(c1[e]) == BitConverter.SingleToInt32Bits(c2[e]), $"{where}: 1 vs 2 threads");
                            Assert.True(BitConverter.SingleToInt32Bits(c1[e]) == BitConverter.SingleToInt32Bits(c3[e]), $"{where}: 1 vs 3 threads");
                        }
                }
        }
        finally
        {
            Simd.Override(previous);
        }
    }

    [Fact]
    public unsafe void Rows_outside_m_and_columns_past_n_are_not_touched()
    {
        // C is a 20 x 40 window (ldc 50) of a larger buffer: everything outside the window keeps its value.
        const int m = 20, n = 40, k = 9, ldc = 50;
        Random rng = new(5);
        float[] a = RandomArray(m * k, rng), b = RandomArray(k * n, rng);
        float[] c = Enumerable.Repeat(7f, (m + 1) * ldc).ToArray();
        fixed (float* pa = a, pb = b, pc = c)
            Gemm.Multiply(WorkerPool.Shared, m, n, k, pa, k, false, pb, n, false, pc, ldc, accumulate: false);
        for (int i = 0; i <= m; i++)
            for (int j = 0; j < ldc; j++)
                if (i == m || j >= n) Assert.Equal(7f, c[i * ldc + j]);
    }
}

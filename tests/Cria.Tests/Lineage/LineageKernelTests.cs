using Cria.Lineage;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Lineage;

/// <summary>The numeric parts of lineage against float64 references and known answers.</summary>
public class LineageKernelTests
{
    private static WeightTensor RandomMatrix(int rows, int cols, Random rng)
    {
        WeightTensor t = WeightTensor.AllocateF32("m", rows, cols);
        Span<float> s = t.AsF32Span();
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    [Fact]
    public void InvariantTermsEqualTheFloat64Products()
    {
        // GQA (6 query heads on 2 KV heads) so the head → kv-head mapping is exercised.
        int n = 20, d = 24, heads = 6, kv = 2, hd = 4, hidden = 40;
        Random rng = new(7);
        using WeightTensor x = RandomMatrix(n, d, rng);
        float[] g1 = Enumerable.Range(0, d).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        float[] g2 = Enumerable.Range(0, d).Select(_ => (float)(0.5 + rng.NextDouble())).ToArray();
        using InvariantLayer l = new(g1, RandomMatrix(heads * hd, d, rng), RandomMatrix(kv * hd, d, rng), RandomMatrix(kv * hd, d, rng),
            RandomMatrix(d, heads * hd, rng), g2, RandomMatrix(hidden, d, rng), RandomMatrix(d, hidden, rng), heads, kv, owned: true);
        float[][] got = InvariantTerms.Compute(x, l, WorkerPool.Shared, removedRank: 0);

        float[] X = x.ToArray(), wq = l.Wq.ToArray(), wk = l.Wk.ToArray(), wv = l.Wv.ToArray(), wo = l.Wo.ToArray(), up = l.WUp.ToArray(), down = l.WDown.ToArray();
        float[] qk = new float[n * n], ov = new float[n * n], mlp = new float[n * n];
        int group = heads / kv;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double sqk = 0, sov = 0, smlp = 0;
                for (int h = 0; h < heads; h++)
                    for (int e = 0; e < hd; e++)
                    {
                        int qr = h * hd + e, kr = h / group * hd + e;
                        double q = 0, k = 0, v = 0, o = 0;
                        for (int c = 0; c < d; c++)
                        {
                            q += (double)X[i * d + c] * g1[c] * wq[qr * d + c];
                            k += (double)X[j * d + c] * g1[c] * wk[kr * d + c];
                            v += (double)X[i * d + c] * g1[c] * wv[kr * d + c];
                            o += (double)X[j * d + c] * wo[c * heads * hd + qr];
                        }
                        sqk += q * k;
                        sov += v * o;
                    }
                for (int u = 0; u < hidden; u++)
                {
                    double a = 0, b = 0;
                    for (int c = 0; c < d; c++)
                    {
                        a += (double)X[i * d + c] * g2[c] * up[u * d + c];
                        b += (double)X[j * d + c] * down[c * hidden + u];
                    }
                    smlp += a * b;
                }
                (qk[i * n + j], ov[i * n + j], mlp[i * n + j]) = ((float)sqk, (float)sov, (float)smlp);
            }
        float[][] want = [InvariantTerms.Standardize(qk, n, 0), InvariantTerms.Standardize(ov, n, 0), InvariantTerms.Standardize(mlp, n, 0)];
        for (int t = 0; t < 3; t++)
        {
            Assert.Equal(n * (n - 1), got[t].Length);
            for (int i = 0; i < got[t].Length; i++) Assert.True(Math.Abs(got[t][i] - want[t][i]) < 2e-5, $"term {t} entry {i}: {got[t][i]} vs {want[t][i]}");
            Assert.True(Math.Abs(InvariantTerms.Correlation(got[t], got[t]) - 1) < 1e-5);
        }
    }

    [Fact]
    public void StandardizeDoubleCentersAndNormalizes()
    {
        int n = 6;
        Random rng = new(3);
        float[] m = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] s = InvariantTerms.Standardize(m, n, 0);
        // Row and column effects (a per-query shift, a per-key bias) disappear.
        float[] shifted = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) shifted[i * n + j] = m[i * n + j] + i * 3 + j * j;
        float[] s2 = InvariantTerms.Standardize(shifted, n, 0);
        for (int i = 0; i < s.Length; i++) Assert.True(Math.Abs(s[i] - s2[i]) < 1e-5);
        Assert.True(Math.Abs(s.Sum()) < 1e-5);
        Assert.True(Math.Abs(s.Sum(v => (double)v * v) - 1) < 1e-5);
    }

    [Fact]
    public void LowRankRemovalDeletesAnExactlyLowRankMatrixAndKeepsTheRest()
    {
        int n = 64, k = 3;
        Random rng = new(5);
        float[] low = new float[n * n], noise = new float[n * n];
        for (int c = 0; c < k; c++)
        {
            double[] u = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray(), v = Enumerable.Range(0, n).Select(_ => rng.NextDouble() - 0.5).ToArray();
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) low[i * n + j] += (float)(10 * (c + 1) * u[i] * v[j]);
        }
        float[] copy = (float[])low.Clone();
        LowRankRemoval.Remove(copy, n, k);
        double before = Math.Sqrt(low.Sum(x => (double)x * x)), after = Math.Sqrt(copy.Sum(x => (double)x * x));
        Assert.True(after < 1e-4 * before, $"rank-{k} matrix left {after} of {before}");

        // Removing k directions from a full-rank random matrix keeps most of it.
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)(rng.NextDouble() - 0.5);
        double full = Math.Sqrt(noise.Sum(x => (double)x * x));
        LowRankRemoval.Remove(noise, n, k);
        Assert.InRange(Math.Sqrt(noise.Sum(x => (double)x * x)) / full, 0.8, 1.0);
    }

    [Fact]
    public void AlignmentIsTheDiagonalForEqualDepthsAndSearchesOtherwise()
    {
        double[,] square = { { 0.9, 0.95, 0 }, { 0, 0.1, 0 }, { 0, 0, 0.8 } };
        Assert.Equal([(0, 0), (1, 1), (2, 2)], LayerAlignment.Best(square));
        // B has 5 layers, A keeps B's layers 0, 2 and 4.
        double[,] pruned = new double[3, 5];
        pruned[0, 0] = pruned[1, 2] = pruned[2, 4] = 1;
        pruned[1, 1] = 0.5;
        Assert.Equal([(0, 0), (1, 2), (2, 4)], LayerAlignment.Best(pruned));
        double[,] t = new double[5, 3];
        t[0, 0] = t[2, 1] = t[4, 2] = 1;
        Assert.Equal([(0, 0), (2, 1), (4, 2)], LayerAlignment.Best(t));
    }
    [Fact]
    public void JackknifeLeavesOutEveryEntryOfAGroupsTokensAndMatchesTheFloat64Definition()
    {
        const int n = 30, groups = 5, layers = 2, terms = 3;
        Random rng = new(7);
        float[][][] ta = new float[layers][][], tb = new float[layers][][];
        for (int l = 0; l < layers; l++)
        {
            ta[l] = new float[terms][];
            tb[l] = new float[terms][];
            for (int t = 0; t < terms; t++)
            {
                ta[l][t] = new float[n * (n - 1)];
                tb[l][t] = new float[n * (n - 1)];
                for (int p = 0; p < ta[l][t].Length; p++)
                {
                    ta[l][t][p] = (float)(rng.NextDouble() - 0.5);
                    tb[l][t][p] = (float)(0.3 * ta[l][t][p] + rng.NextDouble() - 0.5);
                }
            }
        }
        int[] group = ScoreUncertainty.Groups(n, groups, seed: 3);
        Assert.All(Enumerable.Range(0, groups), g => Assert.Equal(n / groups, group.Count(x => x == g)));

        // Reference: Pearson over the off-diagonal entries (i, j) with neither token in the left-out group, in float64.
        double Reference(float[] a, float[] b, int g)
        {
            List<(double X, double Y)> kept = [];
            for (int i = 0, p = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    if (i == j) continue;
                    if (group[i] != g && group[j] != g) kept.Add((a[p], b[p]));
                    p++;
                }
            double mx = kept.Average(e => e.X), my = kept.Average(e => e.Y);
            double cov = kept.Sum(e => (e.X - mx) * (e.Y - my)), vx = kept.Sum(e => (e.X - mx) * (e.X - mx)), vy = kept.Sum(e => (e.Y - my) * (e.Y - my));
            return cov / Math.Sqrt(vx * vy);
        }
        double[] fast = ScoreUncertainty.LeaveOneGroupOut(ta[1][2], tb[1][2], n, group, groups);
        for (int g = 0; g < groups; g++) Assert.Equal(Reference(ta[1][2], tb[1][2], g), fast[g], 1e-9);

        (int A, int B)[] alignment = [(0, 0), (1, 1)];
        double[] scores = Enumerable.Range(0, groups)
            .Select(g => Enumerable.Range(0, terms).Min(t => alignment.Average(p => Reference(ta[p.A][t], tb[p.B][t], g)))).ToArray();
        double mean = scores.Average();
        double expected = Math.Sqrt((groups - 1.0) / groups * scores.Sum(x => (x - mean) * (x - mean)));
        double se = ScoreUncertainty.JackknifeSe(ta, tb, alignment, n, groups, seed: 3);
        Assert.Equal(expected, se, 1e-9);
        Assert.True(se > 0);
    }

    [Fact]
    public void ZDividesByTheSpreadOfTheDifference()
    {
        NullDistribution nul = new("test", Mean: 1, Std: 3, Draws: 10);
        Assert.Equal(2.0, nul.Z(7), 12);
        Assert.Equal(1.2, nul.Z(7, scoreSe: 4), 12);
        Assert.Equal(double.PositiveInfinity, new NullDistribution("exact", 0, 0, 1).Z(0.5));
    }
}

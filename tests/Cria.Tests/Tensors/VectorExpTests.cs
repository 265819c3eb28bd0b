using System.Runtime.Intrinsics;
using Cria.Tensors;

namespace Cria.Tests.Tensors;

public class VectorExpTests
{
    private static IEnumerable<float> Inputs()
    {
        for (int i = 0; i <= 200_000; i++) yield return -87f + 175f * i / 200_000;
        foreach (float x in new[] { 0f, -0f, 1e-30f, -1e-30f, -0.34657359f, 0.34657359f, -86.99f, 87.99f }) yield return x;
    }

    [Fact]
    public void Within_2_5e7_relative_of_float64_over_the_range_on_both_widths()
    {
        float[] xs = Inputs().ToArray();
        double worst = 0;
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            Vector512<float> v512 = VectorExp.Exp(Vector512.Create(xs.AsSpan(i, 16)));
            Vector256<float> lo = VectorExp.Exp(Vector256.Create(xs.AsSpan(i, 8))), hi = VectorExp.Exp(Vector256.Create(xs.AsSpan(i + 8, 8)));
            for (int j = 0; j < 16; j++)
            {
                double want = Math.Exp(xs[i + j]);
                double err = Math.Abs(v512[j] - want) / want;
                worst = Math.Max(worst, err);
                // Every lane computes alike, whatever the width, and so does the scalar overload.
                Assert.Equal(v512[j], j < 8 ? lo[j] : hi[j - 8]);
                Assert.Equal(v512[j], VectorExp.Exp(xs[i + j]));
            }
        }
        Assert.True(worst <= 2.5e-7, $"worst relative error {worst:E3}");
    }

    [Fact]
    public void Clamps_far_below_and_propagates_nan()
    {
        Vector512<float> r = VectorExp.Exp(Vector512.Create(-1000f));
        Assert.Equal((float)Math.Exp(-87), r[0], 1e-6f * (float)Math.Exp(-87));
        Assert.True(float.IsNaN(VectorExp.Exp(Vector512.Create(float.NaN))[3]));
        Assert.Equal(0f, VectorExp.Exp(Vector512.Create(float.NegativeInfinity))[0], 1e-37f);
    }
}

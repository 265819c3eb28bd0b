using Cria.Evaluation;

namespace Cria.Tests.Evaluation;

public class SamplingAndWindowsTests
{
    [Fact]
    public void Python_random_reproduces_cpython()
    {
        // Values printed by CPython 3: random.Random(1234).getrandbits(32) twice, then sample() on fresh generators.
        PythonRandom r = new(1234);
        Assert.Equal(4150886329u, r.GetRandBits(32));
        Assert.Equal(3342196574u, r.GetRandBits(32));
        PythonRandom s = new(1234);
        Assert.Equal([1805, 478, 30, 371, 143, 343, 403, 1452], s.Sample(2376, 26)[..8]);
        Assert.Equal([1, 9, 0, 2], s.Sample(10, 4));
        PythonRandom t = new(1234);
        Assert.Equal([14, 3, 0, 2, 1, 10, 11, 15, 12, 5, 18], t.Sample(20, 11));
        Assert.Equal([0, 19, 18, 11, 15, 9, 7, 2, 1, 12, 16], t.Sample(20, 11));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(8, 8)]
    [InlineData(9, 8)]
    [InlineData(20, 8)]
    [InlineData(37, 5)]
    public void Rolling_windows_predict_every_token_once_within_the_window(int count, int maxLength)
    {
        int[] tokens = [.. Enumerable.Range(100, count)];
        List<int> predicted = [];
        bool first = true;
        foreach ((int[] ctx, int[] pred) in RollingWindows.Disjoint(tokens, 1, maxLength))
        {
            Assert.InRange(pred.Length, 1, maxLength);
            Assert.True(ctx.Length + pred.Length - 1 <= maxLength);
            if (first) Assert.Equal([1], ctx);
            else
            {
                // The context is the tokens just before the predicted ones, filling the input to maxLength.
                int start = predicted.Count;
                Assert.Equal(tokens[(start - ctx.Length)..start], ctx);
                Assert.Equal(maxLength, ctx.Length + pred.Length - 1);
            }
            first = false;
            predicted.AddRange(pred);
        }
        Assert.Equal(tokens, predicted);
    }
}

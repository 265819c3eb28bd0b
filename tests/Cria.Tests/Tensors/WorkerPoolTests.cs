using Cria.Tensors;

namespace Cria.Tests.Tensors;

public class WorkerPoolTests
{
    [Fact]
    public void Every_index_runs_exactly_once_over_many_short_calls()
    {
        using WorkerPool pool = new(3);
        int[] hits = new int[7];
        for (int call = 0; call < 20_000; call++)
        {
            int count = 2 + call % 6;
            pool.For(count, i => Interlocked.Increment(ref hits[i]));
        }
        int[] expected = new int[7];
        for (int call = 0; call < 20_000; call++)
            for (int i = 0; i < 2 + call % 6; i++) expected[i]++;
        Assert.Equal(expected, hits);
    }

    [Fact]
    public void A_failing_item_surfaces_and_the_pool_stays_usable()
    {
        using WorkerPool pool = new(2);
        Assert.Throws<AggregateException>(() => pool.For(50, i => { if (i == 17) throw new InvalidOperationException("boom"); }));
        int sum = 0;
        pool.For(10, i => Interlocked.Add(ref sum, i));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void Inline_pool_runs_on_the_caller()
    {
        int caller = Environment.CurrentManagedThreadId;
        WorkerPool.Inline.For(5, _ => Assert.Equal(caller, Environment.CurrentManagedThreadId));
    }
}

namespace Cria.Tensors;

/// <summary>
/// A persistent pool of worker threads for data-parallel kernels. <see cref="For"/> splits an index range
/// into chunks that workers claim with an atomic counter; the calling thread works too. Each index is
/// processed by exactly one thread, so results do not depend on the thread count.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static WorkerPool? _shared;
    private static readonly object SharedLock = new();

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim _start;
    private readonly ManualResetEventSlim _done = new(false);
    private Action<int>? _body;
    private int _count;
    private int _next;
    private int _active;
    private volatile bool _stopping;
    private Exception? _error;
    private readonly object _runLock = new();

    public int Threads { get; }

    public WorkerPool(int threads)
    {
        Threads = Math.Max(1, threads);
        _start = new SemaphoreSlim(0);
        // The first blocking wait on a ManualResetEventSlim allocates its lock object; pay that here, not in a
        // decode step (steady-state kernels must not allocate).
        _done.Wait(1);
        _threads = new Thread[Threads - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"cria-worker-{i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>The process-wide pool; size from <c>CRIA_THREADS</c> or the processor count.</summary>
    public static WorkerPool Shared
    {
        get
        {
            if (_shared != null) return _shared;
            lock (SharedLock)
            {
                if (_shared == null)
                {
                    int n = int.TryParse(Environment.GetEnvironmentVariable("CRIA_THREADS"), out int t) && t > 0 ? t : Environment.ProcessorCount;
                    _shared = new WorkerPool(n);
                }
                return _shared;
            }
        }
    }

    /// <summary>Replaces the shared pool (for --threads).</summary>
    public static void ConfigureShared(int threads)
    {
        lock (SharedLock)
        {
            if (_shared?.Threads == threads) return;
            _shared?.Dispose();
            _shared = new WorkerPool(threads);
        }
    }

    /// <summary>Runs body(i) for i in [0, count), in parallel.</summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (count == 1 || _threads.Length == 0)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        lock (_runLock)
        {
            _body = body;
            _count = count;
            _next = 0;
            _error = null;
            int helpers = Math.Min(_threads.Length, count - 1);
            _active = helpers + 1;
            _done.Reset();
            _start.Release(helpers);
            Work();
            _done.Wait();
            _body = null;
            if (_error != null) throw new AggregateException(_error);
        }
    }

    private void Work()
    {
        try
        {
            Action<int> body = _body!;
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count) body(i);
        }
        catch (Exception e)
        {
            _error ??= e;
            Interlocked.Exchange(ref _next, _count);
        }
        finally
        {
            if (Interlocked.Decrement(ref _active) == 0) _done.Set();
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            Work();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_threads.Length > 0) _start.Release(_threads.Length);
    }
}

namespace Cria.Tensors;

/// <summary>
/// A persistent pool of worker threads for data-parallel kernels. <see cref="For"/> splits an index range
/// into chunks that workers claim with an atomic counter; the calling thread works too. Each index is
/// processed by exactly one thread, so results do not depend on the thread count.
/// <para>
/// A helper joins a call only if it wakes while the call still has work: once the caller has claimed the last
/// index it withdraws the invitations not yet taken, and waits only for helpers that did join. On a machine busy
/// with other processes a woken helper can wait milliseconds for a core; the caller then does the work itself
/// instead of idling until the helper runs.
/// </para>
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
    // Invitations not yet taken (high 32 bits) and threads inside the call, the caller included (low 32 bits),
    // changed together so that no helper can join after the caller has withdrawn the invitations.
    private long _state;
    private volatile bool _stopping;
    private Exception? _error;
    private readonly object _runLock = new();

    public int Threads { get; }

    /// <summary>
    /// Multiply-adds below which a data-parallel kernel runs on the calling thread: waking a helper and waiting for
    /// it costs microseconds, more than such work takes (a decode step of a model with a dimension of 64 issues
    /// dozens of matmuls of a few thousand multiply-adds each). Results do not depend on the choice.
    /// </summary>
    public const long SerialWork = 1 << 17;

    /// <summary>A pool with no helper threads: <see cref="For"/> runs everything on the caller.</summary>
    public static WorkerPool Inline { get; } = new(1);

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
            _done.Reset();
            Volatile.Write(ref _state, (long)helpers << 32 | 1);
            _start.Release(helpers);
            Claim();
            // Invitations still open when the work has run out are withdrawn: their helpers may be far from a core.
            long s;
            do s = Volatile.Read(ref _state);
            while (Interlocked.CompareExchange(ref _state, s & 0xFFFF_FFFFL, s) != s);
            if (Interlocked.Decrement(ref _state) != 0) _done.Wait();
            _body = null;
            if (_error != null) throw new AggregateException(_error);
        }
    }

    private void Claim()
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
    }

    /// <summary>A woken helper: joins the call if an invitation is still open, works, and signals when it is the last out.</summary>
    private void Help()
    {
        long s;
        do
        {
            s = Volatile.Read(ref _state);
            if (s >> 32 == 0) return; // withdrawn, or a wake left over from an earlier call
        }
        while (Interlocked.CompareExchange(ref _state, s - (1L << 32) + 1, s) != s);
        Claim();
        if (Interlocked.Decrement(ref _state) == 0) _done.Set();
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            Help();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_threads.Length > 0) _start.Release(_threads.Length);
    }
}

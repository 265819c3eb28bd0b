using Cria.Hub;
using Spectre.Console;

namespace Cria.Cli;

/// <summary>One progress bar per file of a pull on stderr, with bytes, speed and time left.</summary>
public sealed class PullProgressDisplay : IPullProgress
{
    private readonly ProgressContext _context;
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

    private PullProgressDisplay(ProgressContext context) => _context = context;

    public static async Task<T> RunAsync<T>(Func<IPullProgress, Task<T>> work)
    {
        T result = default!;
        await CriaApp.Status.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx => result = await work(new PullProgressDisplay(ctx)));
        return result;
    }

    public void Started(HubFile file, long have)
    {
        ProgressTask task = _context.AddTask(Markup.Escape(file.Path), maxValue: Math.Max(1, file.Size ?? 1));
        if (file.Size == null) task.IsIndeterminate = true;
        task.Value = have;
        _tasks[file.Path] = task;
    }

    public void Received(HubFile file, long bytes)
    {
        if (_tasks.TryGetValue(file.Path, out ProgressTask? task)) task.Increment(bytes);
    }

    public void Finished(HubFile file, bool fromCache)
    {
        if (!_tasks.TryGetValue(file.Path, out ProgressTask? task)) return;
        if (fromCache) task.Description = Markup.Escape(file.Path) + " [grey](cached)[/]";
        task.IsIndeterminate = false;
        task.Value = task.MaxValue;
        task.StopTask();
    }

    public void Note(string message) => CriaApp.Status.MarkupLineInterpolated($"[yellow]{message}[/]");
}

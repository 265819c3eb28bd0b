using Spectre.Console;

namespace Cria.Cli;

/// <summary>A single progress bar with ETA on stderr (so stdout keeps only a command's result) for file-writing work.</summary>
public static class FileProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports (done, total) through the callback it is given.</summary>
    public static T Run<T>(string title, Func<Action<long, long>, T> work)
    {
        T result = default!;
        CriaApp.Status.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(title, maxValue: 1);
                result = work((done, total) => task.Value = total > 0 ? (double)done / total : 1);
                task.Value = 1;
            });
        return result;
    }
}

using Cria.Evaluation.Tasks;
using Cria.Hub;
using Spectre.Console;

namespace Cria.Cli.Evaluation;

/// <summary>
/// Where `cria eval` gets each task's rows: the --data-dir folder when it holds the task's files, else the task's
/// Hugging Face Hub dataset, downloaded into (or, offline, read from) the HF cache with a progress bar per file.
/// </summary>
public sealed class TaskDataSource(string? dataDir) : IDisposable
{
    private HubClient? _client;
    private HubDatasetFetcher? _fetcher;

    public TaskDataFiles FilesFor(TaskSpec spec, string? group, CancellationToken cancel)
    {
        if (TaskDataFiles.FromDataDir(spec, dataDir) is TaskDataFiles local) return local;
        if (spec.Hub == null)
        {
            if (dataDir == null) throw new ArgumentException($"task {spec.Name} names no Hub dataset: give --data-dir DIR with {spec.TestFile}");
            DatasetReader.Locate(dataDir, spec.TestFile);
        }
        HubDatasetFetcher fetcher = Fetcher();
        TaskDataFiles files = _client!.Environment.Offline
            ? fetcher.FetchAsync(spec, group, NoPullProgress.Instance, cancel).GetAwaiter().GetResult()
            : PullProgressDisplay.RunAsync(progress => fetcher.FetchAsync(spec, group, progress, cancel)).GetAwaiter().GetResult();
        CriaApp.Status.MarkupLineInterpolated($"[grey]{spec.Name}: {files.Source}[/]");
        return files;
    }

    private HubDatasetFetcher Fetcher()
    {
        if (_fetcher != null) return _fetcher;
        HubEnvironment env = HubEnvironment.FromEnvironment();
        _client = new HubClient(env) { Kind = HubRepoKind.Dataset };
        _fetcher = new HubDatasetFetcher(_client, new HubCache(env.CacheDir, HubRepoKind.Dataset));
        _fetcher.Note += message => CriaApp.Status.MarkupLineInterpolated($"[yellow]{message}[/]");
        return _fetcher;
    }

    public void Dispose() => _client?.Dispose();
}

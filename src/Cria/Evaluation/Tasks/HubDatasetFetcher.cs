using Cria.Hub;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Gets a task's split files from its Hub dataset (<see cref="TaskSpec.Hub"/>) into the shared Hugging Face cache
/// (<c>datasets--org--name</c> beside the models), with the model downloader's resumable, checked downloads. The
/// repository listing picks the files each split pattern matches (Parquet first, then JSON Lines, then CSV); only
/// those are fetched. Offline (HF_HUB_OFFLINE/CRIA_OFFLINE), or when the Hub cannot be reached, the cached snapshot
/// of the revision is used if it holds matching files; otherwise the error names the task, dataset and pattern.
/// </summary>
public sealed class HubDatasetFetcher
{
    private readonly HubClient _client;
    private readonly HubCache _cache;

    public HubDatasetFetcher(HubClient client, HubCache cache)
    {
        if (client.Kind != HubRepoKind.Dataset || cache.Kind != HubRepoKind.Dataset)
            throw new ArgumentException("a dataset fetcher needs a client and a cache for dataset repositories");
        _client = client;
        _cache = cache;
    }

    /// <summary>Said when a download was not possible and the cache stood in.</summary>
    public event Action<string>? Note;

    public async Task<TaskDataFiles> FetchAsync(TaskSpec spec, string? group, IPullProgress progress, CancellationToken cancel = default)
    {
        HubDatasetSpec hub = spec.Hub ?? throw new ArgumentException($"task {spec.Name} names no Hub dataset");
        (string testPattern, string? fewshotPattern) = hub.PatternsFor(group);
        HubModelReference reference = new(hub.Repo, hub.Revision == HubModelReference.DefaultRevision ? null : hub.Revision);
        string what = $"task {spec.Name}: dataset {reference} ({testPattern})";
        if (_client.Environment.Offline)
        {
            string variable = _client.Environment.OfflineVariable!;
            return FromCache(hub, testPattern, fewshotPattern)
                ?? throw new HubException($"offline mode ({variable}=1): {what} is not in the cache at {_cache.Root}; unset {variable} to download it, or give --data-dir with {spec.TestFile}");
        }

        HubRepoInfo info;
        try
        {
            info = await _client.GetRepoInfoAsync(hub.Repo, hub.Revision, cancel);
        }
        catch (HubException e) when (e.InnerException is HttpRequestException)
        {
            TaskDataFiles cached = FromCache(hub, testPattern, fewshotPattern)
                ?? throw new HubException($"{what}: {e.Message}; it is not in the cache at {_cache.Root} either (or give --data-dir with {spec.TestFile})", e.InnerException);
            Note?.Invoke($"{spec.Name}: the Hub cannot be reached, using the cached copy of {reference} ({cached.Source})");
            return cached;
        }
        catch (HubException e)
        {
            throw new HubException($"task {spec.Name}: {e.Message}", e.InnerException);
        }
        string[] listed = [.. info.Files.Select(f => f.Path)];
        IReadOnlyList<string> test = Choose(listed, testPattern);
        if (test.Count == 0)
            throw new HubException($"{what}: no data file (.parquet, .jsonl, .csv) of the dataset matches '{testPattern}'; it has: " +
                string.Join(", ", listed.Take(20)) + (listed.Length > 20 ? $", … ({listed.Length} files)" : ""));
        IReadOnlyList<string>? fewshot = fewshotPattern == null ? null : Choose(listed, fewshotPattern) is { Count: > 0 } f ? f : null;
        PullResult pulled = await new HubPuller(_client, _cache).PullAsync(reference, FileSelection.Exactly([.. test, .. fewshot ?? []]), progress, cancel);
        return Files(pulled.SnapshotPath, pulled.Commit, hub, test, fewshot);
    }

    /// <summary>The cached snapshot's files for the patterns, or null when the revision or its test split is not cached.</summary>
    private TaskDataFiles? FromCache(HubDatasetSpec hub, string testPattern, string? fewshotPattern)
    {
        string? snapshot = _cache.FindSnapshot(hub.Repo, hub.Revision);
        if (snapshot == null) return null;
        string[] present = [.. Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/'))];
        IReadOnlyList<string> test = Choose(present, testPattern);
        if (test.Count == 0) return null;
        IReadOnlyList<string>? fewshot = fewshotPattern == null ? null : Choose(present, fewshotPattern) is { Count: > 0 } f ? f : null;
        return Files(snapshot, Path.GetFileName(snapshot), hub, test, fewshot);
    }

    private static TaskDataFiles Files(string snapshot, string commit, HubDatasetSpec hub, IReadOnlyList<string> test, IReadOnlyList<string>? fewshot)
    {
        string Local(string p) => Path.Combine(snapshot, Path.Combine(p.Split('/')));
        return new TaskDataFiles([.. test.Select(Local)], fewshot?.Select(Local).ToList(), $"hub {hub.Repo}@{commit[..Math.Min(7, commit.Length)]}: {string.Join(", ", [.. test, .. fewshot ?? []])}");
    }

    /// <summary>
    /// The data files a pattern matches, in path order, all of one format: Parquet when there is any (the Hub's own
    /// conversions), else JSON Lines, else CSV.
    /// </summary>
    public static IReadOnlyList<string> Choose(IEnumerable<string> paths, string pattern)
    {
        GlobPattern glob = new(pattern);
        string[] matches = [.. paths.Where(glob.IsMatch).Order(StringComparer.Ordinal)];
        foreach (string ext in DatasetReader.TableExtensions)
        {
            string[] ofKind = [.. matches.Where(p => p.EndsWith(ext, StringComparison.OrdinalIgnoreCase))];
            if (ofKind.Length > 0) return ofKind;
        }
        return [];
    }
}

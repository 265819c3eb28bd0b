namespace Cria.Hub;

/// <summary>What <see cref="HubPuller"/> reports while it works; the CLI draws it as progress bars.</summary>
public interface IPullProgress
{
    /// <summary><paramref name="have"/> bytes of the file are already on disk (a resumed partial download, or all of it when cached).</summary>
    void Started(HubFile file, long have);

    void Received(HubFile file, long bytes);

    void Finished(HubFile file, bool fromCache);

    /// <summary>Something worth a line: a dropped connection being resumed.</summary>
    void Note(string message);
}

/// <summary>A file of a pull and whether it came from the network or was already in the cache.</summary>
public sealed record PulledFile(string Path, long Size, bool FromCache);

/// <summary>The outcome of a pull: where the snapshot is and what a model command should open.</summary>
public sealed record PullResult(string RepoId, string Revision, string Commit, string SnapshotPath, string ModelPath,
    IReadOnlyList<PulledFile> Files, bool Offline)
{
    public long DownloadedBytes => Files.Where(f => !f.FromCache).Sum(f => f.Size);
}

using Cria.Formats;

namespace Cria.Hub;

/// <summary>
/// The Hugging Face cache layout, shared with huggingface_hub, transformers and llama.cpp:
/// <c>{root}/models--{org}--{name}/blobs/{etag}</c> holds each file's content once,
/// <c>snapshots/{commit}/{path}</c> are relative symbolic links to those blobs (copies where links are not allowed),
/// and <c>refs/{revision}</c> holds the commit a branch or tag pointed to when it was last pulled.
/// Downloads in progress are <c>blobs/{etag}.incomplete</c>. Datasets live beside models as <c>datasets--{org}--{name}</c>.
/// </summary>
public sealed class HubCache(string root, HubRepoKind kind = HubRepoKind.Model)
{
    public string Root { get; } = Path.GetFullPath(root);

    public HubRepoKind Kind { get; } = kind;

    public string RepoFolder(string repoId) =>
        Path.Combine(Root, (Kind == HubRepoKind.Dataset ? "datasets--" : "models--") + repoId.Replace("/", "--", StringComparison.Ordinal));

    public string BlobPath(string repoId, string key) => Path.Combine(RepoFolder(repoId), "blobs", key);

    public string IncompletePath(string repoId, string key) => BlobPath(repoId, key) + ".incomplete";

    public string SnapshotFolder(string repoId, string commit) => Path.Combine(RepoFolder(repoId), "snapshots", commit);

    private string RefPath(string repoId, string revision) => Path.Combine(RepoFolder(repoId), "refs", Path.Combine(revision.Split('/')));

    public string? ReadRef(string repoId, string revision)
    {
        string path = RefPath(repoId, revision);
        if (!File.Exists(path)) return null;
        string commit = File.ReadAllText(path).Trim();
        return HubModelReference.IsCommitHash(commit) ? commit : null;
    }

    public void WriteRef(string repoId, string revision, string commit)
    {
        if (revision == commit) return;
        string path = RefPath(repoId, revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, commit);
    }

    /// <summary>The snapshot folder a revision names (a commit, or a branch/tag through refs/), or null when not cached.</summary>
    public string? FindSnapshot(string repoId, string revision)
    {
        string? commit = HubModelReference.IsCommitHash(revision) ? revision : ReadRef(repoId, revision);
        if (commit == null) return null;
        string folder = SnapshotFolder(repoId, commit);
        return Directory.Exists(folder) ? folder : null;
    }

    /// <summary>Puts <paramref name="relativePath"/> into the snapshot as a relative link to its blob (a copy where links fail).</summary>
    public void Link(string repoId, string commit, string relativePath, string key)
    {
        string snapshot = SnapshotFolder(repoId, commit);
        string target = Path.Combine(snapshot, Path.Combine(relativePath.Split('/')));
        string blob = BlobPath(repoId, key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        FileSystemInfo existing = new FileInfo(target);
        if (existing.Exists || existing.LinkTarget != null)
        {
            if (existing.LinkTarget != null && Path.GetFullPath(existing.LinkTarget, Path.GetDirectoryName(target)!) == blob) return;
            File.Delete(target);
        }
        string relative = Path.GetRelativePath(Path.GetDirectoryName(target)!, blob);
        try
        {
            File.CreateSymbolicLink(target, relative);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // Windows without developer mode cannot create links; huggingface_hub copies there too.
            File.Copy(blob, target, overwrite: true);
        }
    }

    /// <summary>
    /// What a model command should open in a snapshot: the folder when it holds config.json (a Hugging Face
    /// checkpoint), else its single .gguf file.
    /// </summary>
    public static string ModelPathIn(string snapshot, string name)
    {
        if (File.Exists(Path.Combine(snapshot, "config.json"))) return snapshot;
        string[] ggufs = Directory.EnumerateFiles(snapshot, "*.gguf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (ggufs.Length == 1) return ggufs[0];
        if (ggufs.Length > 1)
            throw new ArgumentException($"{name}: the cached snapshot holds {ggufs.Length} GGUF files; give one by path: " +
                string.Join(", ", ggufs.Select(g => g)));
        return snapshot;
    }

    /// <summary>The repository id of a path inside a cache (…/models--org--name/snapshots/…), or null.</summary>
    public static string? RepoIdOf(string path)
    {
        string[] parts = Path.GetFullPath(path).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 3; i >= 0; i--)
        {
            if (parts[i + 1] != "snapshots" || !parts[i].StartsWith("models--", StringComparison.Ordinal)) continue;
            string[] names = parts[i]["models--".Length..].Split("--");
            return names.Length == 2 ? names[0] + "/" + names[1] : null;
        }
        return null;
    }
}

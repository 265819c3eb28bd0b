using System.Text.Json;

namespace Cria.Hub;

/// <summary>
/// One file of a repository as the Hub's model API lists it (with <c>?blobs=true</c>): its path, size, git blob id,
/// and for files stored with Git LFS (the weights) the sha256 and size of the real content.
/// </summary>
public sealed record HubFile(string Path, long? Size, string? BlobId, string? Sha256)
{
    /// <summary>
    /// The name of the file's blob in the cache, as the Hub's ETag gives it: the sha256 for LFS files, the git blob
    /// id for the others. Null when the listing has neither (then a HEAD request supplies it).
    /// </summary>
    public string? CacheKey => Sha256 ?? BlobId;
}

/// <summary>A repository at one commit: <c>GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true</c>.</summary>
public sealed record HubRepoInfo(string RepoId, string? Commit, IReadOnlyList<HubFile> Files)
{
    public static HubRepoInfo Parse(string repoId, string json)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException e)
        {
            throw new HubException($"{repoId}: the Hub's answer is not JSON ({e.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new HubException($"{repoId}: the Hub's answer is not a JSON object");
        string? commit = root.TryGetProperty("sha", out JsonElement sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString() : null;
        if (commit != null && !HubModelReference.IsCommitHash(commit)) throw new HubException($"{repoId}: the Hub's \"sha\" '{commit}' is not a commit hash");
        List<HubFile> files = [];
        if (root.TryGetProperty("siblings", out JsonElement siblings) && siblings.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement s in siblings.EnumerateArray())
            {
                string? name = String(s, "rfilename");
                if (name == null) continue;
                if (!IsSafeRelativePath(name)) throw new HubException($"{repoId}: the Hub lists a file with an unsafe path '{name}'");
                long? size = Long(s, "size");
                string? sha256 = null;
                if (s.TryGetProperty("lfs", out JsonElement lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    sha256 = String(lfs, "sha256")?.ToLowerInvariant();
                    if (sha256 != null && (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower)))
                        throw new HubException($"{repoId}: {name}: lfs.sha256 '{sha256}' is not a sha256");
                    size = Long(lfs, "size") ?? size;
                }
                string? blobId = String(s, "blobId")?.ToLowerInvariant();
                if (blobId != null && !IsSafeKey(blobId)) blobId = null;
                if (size is < 0) throw new HubException($"{repoId}: {name}: negative size {size}");
                files.Add(new HubFile(name, size, blobId, sha256));
            }
        }
        return new HubRepoInfo(repoId, commit, files);
    }

    /// <summary>A path that stays inside the snapshot folder: relative, '/'-separated, no '.', '..' or empty segments.</summary>
    public static bool IsSafeRelativePath(string path) =>
        path.Length is > 0 and < 1024 && !path.Contains('\\') && !path.Contains('\0') && !path.StartsWith('/')
        && path.Split('/').All(seg => seg.Length > 0 && seg != "." && seg != ".." && !seg.Contains(':'));

    /// <summary>A blob name that can be a file name: hex-like, no separators.</summary>
    public static bool IsSafeKey(string key) => key.Length is > 0 and <= 128 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long n) ? n : null;
}

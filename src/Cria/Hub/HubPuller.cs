using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Cria.Hub;

/// <summary>
/// Downloads a repository's files into the <see cref="HubCache"/>: list the revision, choose the files, then for each
/// file not already cached stream it into <c>blobs/{key}.incomplete</c> (resuming with a Range request after a dropped
/// connection, within this run or the next), check its size and sha256 (the git blob id for small files), and only
/// then rename it into place and link it into the snapshot. A file that fails its check is deleted, never cached.
/// </summary>
public sealed class HubPuller(HubClient client, HubCache cache)
{
    /// <summary>Tries per file when the connection drops mid-download; each resumes where the previous one stopped.</summary>
    public int Attempts { get; init; } = 4;

    public async Task<PullResult> PullAsync(HubModelReference reference, FileSelection selection, IPullProgress progress, CancellationToken cancel = default)
    {
        string repoId = reference.RepoId;
        string revision = reference.RevisionOrDefault;
        if (client.Environment.Offline) return FromCacheOffline(reference, selection);

        HubRepoInfo info;
        try
        {
            info = await client.GetRepoInfoAsync(repoId, revision, cancel);
        }
        catch (HubException e) when (e.InnerException is HttpRequestException && cache.FindSnapshot(repoId, revision) is string cached)
        {
            throw new HubException($"{e.Message}. {reference} is already cached at {cached}; with CRIA_OFFLINE=1 it is used without asking the Hub", e.InnerException);
        }
        IReadOnlyList<HubFile> files = selection.Select(info.Files);
        if (files.Count == 0)
        {
            string listing = string.Join(", ", info.Files.Take(20).Select(f => f.Path)) + (info.Files.Count > 20 ? $", … ({info.Files.Count} files)" : "");
            throw new HubException($"{reference}: no file matches {selection.Describe()}; the repository has: {(listing.Length == 0 ? "no files" : listing)}");
        }
        string commit = info.Commit
            ?? (await client.HeadAsync(repoId, revision, files[0].Path, cancel)).Commit
            ?? (HubModelReference.IsCommitHash(revision) ? revision : throw new HubException($"{reference}: the Hub did not say which commit {revision} is"));
        files = await CompleteMetadataAsync(repoId, commit, files, cancel);

        List<PulledFile> pulled = [];
        HubFile? index = files.FirstOrDefault(f => f.Path == FileSelection.IndexFile);
        if (index != null)
        {
            pulled.Add(await FetchAsync(repoId, commit, index, progress, cancel));
            HashSet<string> shards = ReadShardNames(cache.BlobPath(repoId, index.CacheKey!));
            string? missing = shards.FirstOrDefault(s => !files.Any(f => f.Path == s));
            if (missing != null && selection.IsDefault) throw new HubException($"{reference}: {FileSelection.IndexFile} names {missing}, which the repository does not have");
            files = selection.NarrowByIndex(files, shards);
        }
        // Small files first, so the tokenizer and config are there even if a large download is interrupted.
        foreach (HubFile f in files.Where(f => f != index).OrderBy(f => f.Size ?? long.MaxValue))
            pulled.Add(await FetchAsync(repoId, commit, f, progress, cancel));

        cache.WriteRef(repoId, revision, commit);
        string snapshot = cache.SnapshotFolder(repoId, commit);
        return new PullResult(repoId, revision, commit, snapshot, HubCache.ModelPathIn(snapshot, reference.ToString()), pulled, Offline: false);
    }

    private PullResult FromCacheOffline(HubModelReference reference, FileSelection selection)
    {
        string variable = client.Environment.OfflineVariable!;
        string? snapshot = cache.FindSnapshot(reference.RepoId, reference.RevisionOrDefault);
        if (snapshot == null || !selection.Satisfied(snapshot))
            throw new HubException($"offline mode ({variable}=1): {reference} is not in the cache at {cache.Root}" +
                (snapshot == null ? "" : $" (the cached snapshot lacks {selection.Describe()})") + $"; unset {variable} to download it");
        List<PulledFile> files = Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => new PulledFile(Path.GetRelativePath(snapshot, f).Replace('\\', '/'), LinkedLength(f), FromCache: true)).ToList();
        return new PullResult(reference.RepoId, reference.RevisionOrDefault, Path.GetFileName(snapshot), snapshot,
            HubCache.ModelPathIn(snapshot, reference.ToString()), files, Offline: true);
    }

    private static long LinkedLength(string path)
    {
        FileInfo info = new(path);
        return (info.LinkTarget != null ? info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo : info)?.Length ?? 0;
    }

    /// <summary>Files the listing gave no blob key or size for get them from a HEAD request (X-Linked-Etag, X-Linked-Size).</summary>
    private async Task<IReadOnlyList<HubFile>> CompleteMetadataAsync(string repoId, string commit, IReadOnlyList<HubFile> files, CancellationToken cancel)
    {
        List<HubFile> result = [];
        foreach (HubFile f in files)
        {
            if (f.CacheKey != null && f.Size != null)
            {
                result.Add(f);
                continue;
            }
            HubFileHead head = await client.HeadAsync(repoId, commit, f.Path, cancel);
            string key = f.CacheKey ?? head.ETag ?? throw new HubException($"{repoId}: {f.Path}: the Hub gave no ETag for it");
            // An ETag of 64 hex digits is the sha256 of an LFS file, so it can be checked even when the listing lacked it.
            string? sha256 = f.Sha256 ?? (key.Length == 64 && key.All(char.IsAsciiHexDigitLower) ? key : null);
            result.Add(f with { BlobId = f.BlobId ?? (sha256 == null ? key : null), Sha256 = sha256, Size = f.Size ?? head.Size });
        }
        return result;
    }

    private static HashSet<string> ReadShardNames(string indexPath)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
                throw new HubException($"{indexPath}: {FileSelection.IndexFile} has no weight_map object");
            return map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Where(HubRepoInfo.IsSafeRelativePath).ToHashSet(StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new HubException($"{indexPath}: {FileSelection.IndexFile} is not valid JSON ({e.Message})");
        }
    }

    private async Task<PulledFile> FetchAsync(string repoId, string commit, HubFile f, IPullProgress progress, CancellationToken cancel)
    {
        string key = f.CacheKey!;
        string blob = cache.BlobPath(repoId, key);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        long size;
        bool fromCache = File.Exists(blob) && (f.Size == null || new FileInfo(blob).Length == f.Size);
        if (fromCache)
        {
            size = new FileInfo(blob).Length;
            progress.Started(f, size);
        }
        else size = await DownloadAsync(repoId, commit, f, blob, progress, cancel);
        cache.Link(repoId, commit, f.Path, key);
        progress.Finished(f, fromCache);
        return new PulledFile(f.Path, size, fromCache);
    }

    private async Task<long> DownloadAsync(string repoId, string commit, HubFile f, string blob, IPullProgress progress, CancellationToken cancel)
    {
        string partial = cache.IncompletePath(repoId, f.CacheKey!);
        FileStream fs;
        try
        {
            // Exclusive: a second cria pull of the same file waits for nothing and corrupts nothing; it fails here.
            fs = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        }
        catch (IOException e)
        {
            throw new HubException($"{f.Path}: {partial} is being written by another download ({e.Message})", e);
        }
        using Verifier verifier = new(f);
        long have;
        try
        {
            have = fs.Length;
            if (f.Size is long listed && have > listed) fs.SetLength(have = 0);
            verifier.HashExisting(fs, have);
            progress.Started(f, have);
            have = await ReceiveAsync(repoId, commit, f, fs, have, verifier, progress, cancel);
            fs.Flush(flushToDisk: true);
        }
        finally
        {
            fs.Dispose();
        }
        string? problem = verifier.Check(have);
        if (problem != null)
        {
            File.Delete(partial);
            throw new HubException($"{f.Path}: {problem}; the download was deleted and nothing was added to the cache (run cria pull again; if it fails the same way, the file on the Hub does not match its listing)");
        }
        File.Move(partial, blob, overwrite: true);
        return have;
    }

    private async Task<long> ReceiveAsync(string repoId, string commit, HubFile f, FileStream fs, long have, Verifier verifier, IPullProgress progress, CancellationToken cancel)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                if (f.Size is long complete && have == complete) return have;
                try
                {
                    using HttpResponseMessage r = await client.OpenFileAsync(repoId, commit, f.Path, have, cancel);
                    if (r.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable || (r.StatusCode == HttpStatusCode.OK && have > 0))
                    {
                        // The partial file does not fit what the server has (or it ignores ranges): start over.
                        fs.SetLength(have = 0);
                        verifier.Reset();
                        if (r.StatusCode != HttpStatusCode.OK) continue;
                    }
                    if (r.StatusCode == HttpStatusCode.PartialContent && r.Content.Headers.ContentRange?.From != have)
                        throw new HubException($"{f.Path}: asked for bytes from {have}, the server sent {r.Content.Headers.ContentRange}");
                    fs.Position = have;
                    await using Stream body = await r.Content.ReadAsStreamAsync(cancel);
                    using CancellationTokenSource stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                    while (true)
                    {
                        stall.CancelAfter(client.Timeout);
                        int n;
                        try
                        {
                            n = await body.ReadAsync(buffer, stall.Token);
                        }
                        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                        {
                            throw new IOException($"no data for {client.Timeout.TotalSeconds:0} s");
                        }
                        if (n == 0) break;
                        if (f.Size is long listed && have + n > listed)
                            throw new HubException($"{f.Path}: the server sent more than the {listed:N0} bytes the Hub lists; nothing was added to the cache");
                        fs.Write(buffer, 0, n);
                        verifier.Append(buffer.AsSpan(0, n));
                        have += n;
                        progress.Received(f, n);
                    }
                    if (f.Size is long expected && have < expected) throw new IOException($"the connection closed after {have:N0} of {expected:N0} bytes");
                    return have;
                }
                catch (Exception e) when (IsTransient(e) && !cancel.IsCancellationRequested)
                {
                    fs.Flush();
                    if (attempt >= Attempts)
                        throw new HubException($"{f.Path}: download interrupted after {have:N0} of {f.Size?.ToString("N0") ?? "?"} bytes ({e.Message}); " +
                            "run the same cria pull again to resume", e);
                    progress.Note($"{f.Path}: {e.Message}; resuming from byte {have:N0} (try {attempt + 1} of {Attempts})");
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 200 << attempt)), cancel);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A dropped or refused connection, worth another try; not an HTTP error or a failed check.</summary>
    private static bool IsTransient(Exception e) =>
        e is HubException { InnerException: HttpRequestException } || (e is IOException && e is not HubException);

    /// <summary>
    /// Hashes a download as it arrives: sha256 for LFS files (the Hub's lfs.sha256), and for the others the git blob
    /// id, sha1("blob {size}\0" + content), which the listing gives as blobId.
    /// </summary>
    private sealed class Verifier(HubFile file) : IDisposable
    {
        private IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private IncrementalHash? _gitSha1 = GitHasher(file);

        private static IncrementalHash? GitHasher(HubFile f)
        {
            if (f.Sha256 != null || f.Size is not long size || f.BlobId is not { Length: 40 } id || !id.All(char.IsAsciiHexDigitLower)) return null;
            IncrementalHash h = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            h.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
            return h;
        }

        public void Reset()
        {
            _sha256.Dispose();
            _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _gitSha1?.Dispose();
            _gitSha1 = GitHasher(file);
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            _sha256.AppendData(data);
            _gitSha1?.AppendData(data);
        }

        public void HashExisting(FileStream fs, long length)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                fs.Position = 0;
                long left = length;
                while (left > 0)
                {
                    int n = fs.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                    if (n == 0) throw new IOException($"{fs.Name}: shorter than its length while reading");
                    Append(buffer.AsSpan(0, n));
                    left -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        public void Dispose()
        {
            _sha256.Dispose();
            _gitSha1?.Dispose();
        }

        /// <summary>Null when the download is what the Hub listed, else what is wrong.</summary>
        public string? Check(long length)
        {
            if (file.Size is long size && length != size) return $"size mismatch: the Hub lists {size:N0} bytes, the download has {length:N0}";
            if (file.Sha256 != null)
            {
                string got = Convert.ToHexStringLower(_sha256.GetHashAndReset());
                if (got != file.Sha256) return $"sha256 mismatch: the Hub lists {file.Sha256}, the download has {got}";
            }
            if (_gitSha1 != null)
            {
                string got = Convert.ToHexStringLower(_gitSha1.GetHashAndReset());
                if (got != file.BlobId) return $"git blob id mismatch: the Hub lists {file.BlobId}, the download has {got}";
            }
            return null;
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cria.Tests.Hub;

/// <summary>
/// A stand-in for the Hugging Face Hub on 127.0.0.1 (Kestrel, free port) serving fixture folders as repositories at one
/// commit, with the Hub's API facts: the revision listing with sizes, git blob ids and lfs.sha256; resolve URLs that
/// answer small files directly (ETag = blob id) and redirect LFS files (*.safetensors, *.gguf) to a storage path with
/// X-Linked-Etag/X-Linked-Size; Range requests; X-Error-Code on 404. Dataset repositories (files at nested paths)
/// answer under /api/datasets/… and /datasets/{repo}/resolve/…, at "main", the commit or refs/convert/parquet.
/// Knobs break it on purpose.
/// </summary>
public sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

    private readonly WebApplication _app;
    private readonly Dictionary<string, Dictionary<string, byte[]>> _repos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, byte[]>> _datasets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _bySha256 = new(StringComparer.Ordinal);
    private int _storageRequests;

    /// <summary>The first storage request is cut after this many bytes (the connection is dropped).</summary>
    public int? DropFirstDownloadAfter { get; set; }

    /// <summary>The listing advertises this sha256 for every LFS file instead of the real one.</summary>
    public string? WrongSha256 { get; set; }

    /// <summary>When set, every API and resolve request needs "Authorization: Bearer {token}" (401 otherwise).</summary>
    public string? RequiredToken { get; set; }

    /// <summary>LFS files redirect to this host name (e.g. "localhost") instead of the endpoint's, another origin on the same server.</summary>
    public string? StorageHost { get; set; }

    /// <summary>The listing gives only file names (no commit, sizes or hashes), as older or minimal servers do.</summary>
    public bool BareListing { get; set; }

    public ConcurrentQueue<(string Method, string Path, string? Range, string? Authorization)> Requests { get; } = new();

    /// <summary>Variables for a CLI run that sees only this Hub and a temporary cache, whatever the machine has set.</summary>
    public static Dictionary<string, string?> Environment(string endpoint, TempDir d, params (string, string?)[] extra)
    {
        Dictionary<string, string?> env = new()
        {
            ["HF_ENDPOINT"] = endpoint,
            ["HF_HUB_CACHE"] = d.File("hub"),
            ["HF_HOME"] = d.File("hf-home"),
            ["HF_TOKEN"] = null,
            ["HUGGING_FACE_HUB_TOKEN"] = null,
            ["CRIA_OFFLINE"] = null,
            ["HF_HUB_OFFLINE"] = null,
        };
        foreach ((string k, string? v) in extra) env[k] = v;
        return env;
    }

    public string Endpoint { get; private set; } = "";

    private FakeHub(WebApplication app) => _app = app;

    /// <summary>
    /// Serves model repositories (id → a folder whose files are the repository's top level) and dataset
    /// repositories (id → repository path → the local file served there).
    /// </summary>
    public static async Task<FakeHub> StartAsync(IReadOnlyDictionary<string, string> repos, IReadOnlyDictionary<string, Dictionary<string, string>>? datasets = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        FakeHub hub = new(builder.Build());
        foreach ((string id, string folder) in repos)
        {
            Dictionary<string, byte[]> files = Directory.EnumerateFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
            hub._repos[id] = files;
            foreach (byte[] data in files.Values) hub._bySha256[Sha256(data)] = data;
        }
        foreach ((string id, Dictionary<string, string> layout) in datasets ?? new Dictionary<string, Dictionary<string, string>>())
        {
            Dictionary<string, byte[]> files = layout.ToDictionary(f => f.Key, f => File.ReadAllBytes(f.Value), StringComparer.Ordinal);
            hub._datasets[id] = files;
            foreach (byte[] data in files.Values) hub._bySha256[Sha256(data)] = data;
        }
        hub._app.Run(hub.HandleAsync);
        await hub._app.StartAsync();
        hub.Endpoint = hub._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return hub;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string GitBlobId(byte[] data) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {data.Length}\0"), .. data]));

    private static bool IsLfs(string name) =>
        name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".gguf", StringComparison.Ordinal) || name.EndsWith(".parquet", StringComparison.Ordinal);

    private async Task HandleAsync(HttpContext http)
    {
        HttpRequest req = http.Request;
        // Segments are unescaped one by one, so a revision such as refs%2Fconvert%2Fparquet stays one segment.
        string[] parts = [.. (req.Path.Value ?? "/").Trim('/').Split('/').Select(Uri.UnescapeDataString)];
        string path = "/" + string.Join('/', parts);
        Requests.Enqueue((req.Method, path, req.Headers.Range.FirstOrDefault(), req.Headers.Authorization.FirstOrDefault()));
        Dictionary<string, Dictionary<string, byte[]>> kind = _repos;
        if (parts.Length >= 2 && parts[0] == "api" && parts[1] == "datasets")
        {
            kind = _datasets;
            parts = ["api", "models", .. parts[2..]];
        }
        else if (parts.Length >= 1 && parts[0] == "datasets")
        {
            kind = _datasets;
            parts = parts[1..];
        }

        if (parts is ["storage", string sha] && _bySha256.TryGetValue(sha, out byte[]? blob))
        {
            await ServeBytesAsync(http, blob, drop: Interlocked.Increment(ref _storageRequests) == 1 ? DropFirstDownloadAfter : null);
            return;
        }
        if (RequiredToken != null && req.Headers.Authorization.FirstOrDefault() != $"Bearer {RequiredToken}")
        {
            http.Response.StatusCode = 401;
            return;
        }
        if (parts.Length >= 6 && parts[0] == "api" && parts[1] == "models" && parts[4] == "revision")
        {
            if (!FindRepo(http, kind, parts[2] + "/" + parts[3], string.Join('/', parts[5..]), out Dictionary<string, byte[]>? files)) return;
            JsonArray siblings = [];
            foreach ((string name, byte[] data) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                if (BareListing)
                {
                    siblings.Add(new JsonObject { ["rfilename"] = name });
                    continue;
                }
                JsonObject s = new() { ["rfilename"] = name, ["size"] = data.Length, ["blobId"] = GitBlobId(data) };
                if (IsLfs(name)) s["lfs"] = new JsonObject { ["sha256"] = WrongSha256 ?? Sha256(data), ["size"] = data.Length, ["pointerSize"] = 134 };
                siblings.Add(s);
            }
            JsonObject body = new() { ["id"] = parts[2] + "/" + parts[3], ["siblings"] = siblings };
            if (!BareListing) body["sha"] = Commit;
            await Results.Text(body.ToJsonString(), "application/json").ExecuteAsync(http);
            return;
        }
        if (parts.Length >= 5 && parts[2] == "resolve")
        {
            if (!FindRepo(http, kind, parts[0] + "/" + parts[1], parts[3], out Dictionary<string, byte[]>? files)) return;
            string file = string.Join('/', parts[4..]);
            if (!files.TryGetValue(file, out byte[]? data))
            {
                http.Response.Headers["X-Error-Code"] = "EntryNotFound";
                http.Response.StatusCode = 404;
                return;
            }
            http.Response.Headers["X-Repo-Commit"] = Commit;
            if (IsLfs(file))
            {
                http.Response.Headers["X-Linked-Etag"] = $"\"{Sha256(data)}\"";
                http.Response.Headers["X-Linked-Size"] = data.Length.ToString();
                string storage = StorageHost == null ? Endpoint : new UriBuilder(Endpoint) { Host = StorageHost }.Uri.ToString().TrimEnd('/');
                http.Response.Redirect($"{storage}/storage/{Sha256(data)}");
                return;
            }
            http.Response.Headers.ETag = $"\"{GitBlobId(data)}\"";
            await ServeBytesAsync(http, data, drop: null);
            return;
        }
        http.Response.StatusCode = 404;
    }

    private static bool FindRepo(HttpContext http, Dictionary<string, Dictionary<string, byte[]>> kind, string repoId, string revision,
        [NotNullWhen(true)] out Dictionary<string, byte[]>? files)
    {
        if (!kind.TryGetValue(repoId, out files))
        {
            http.Response.Headers["X-Error-Code"] = "RepoNotFound";
            http.Response.StatusCode = 404;
            return false;
        }
        if (revision is not ("main" or Commit or "refs/convert/parquet"))
        {
            http.Response.Headers["X-Error-Code"] = "RevisionNotFound";
            http.Response.StatusCode = 404;
            return false;
        }
        return true;
    }

    private static async Task ServeBytesAsync(HttpContext http, byte[] data, int? drop)
    {
        long from = 0;
        string? range = http.Request.Headers.Range.FirstOrDefault();
        if (range != null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1]);
            if (from >= data.Length)
            {
                http.Response.StatusCode = 416;
                return;
            }
            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {from}-{data.Length - 1}/{data.Length}";
        }
        http.Response.ContentLength = data.Length - from;
        http.Response.Headers.AcceptRanges = "bytes";
        if (HttpMethods.IsHead(http.Request.Method)) return;
        int count = data.Length - (int)from;
        if (drop is int cut && cut < count)
        {
            await http.Response.Body.WriteAsync(data.AsMemory((int)from, cut));
            await http.Response.Body.FlushAsync();
            // Give the client time to read what was sent, so the cut lands after those bytes rather than discarding them.
            await Task.Delay(100);
            http.Abort();
            return;
        }
        await http.Response.Body.WriteAsync(data.AsMemory((int)from, count));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

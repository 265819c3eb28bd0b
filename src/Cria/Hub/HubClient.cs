using System.Net;
using System.Net.Http.Headers;
using System.Reflection;

namespace Cria.Hub;

/// <summary>What a HEAD on a file's resolve URL says: the commit it resolved to, its ETag (the blob key) and size.</summary>
public sealed record HubFileHead(string? Commit, string? ETag, long? Size);

/// <summary>
/// The few Hub HTTP calls a download needs: the repository listing (<c>/api/models/{repo}/revision/{rev}?blobs=true</c>)
/// and files (<c>/{repo}/resolve/{rev}/{path}</c>, which redirects large files to storage). Redirects are followed
/// here rather than by the handler so that the token is only ever sent to the Hub's own origin. Failures become
/// <see cref="HubException"/>s that say what to do (gated model and HF_TOKEN, not found, unreachable).
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public HubEnvironment Environment { get; }

    /// <summary>Whether repository names are models or datasets (their API and download URLs differ).</summary>
    public HubRepoKind Kind { get; init; } = HubRepoKind.Model;

    /// <summary>How long a listing or HEAD may take in all, and how long a download may receive nothing.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public HubClient(HubEnvironment environment, HttpMessageHandler? handler = null)
    {
        Environment = environment;
        _endpoint = new Uri(environment.Endpoint + "/");
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        string version = typeof(HubClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"cria/{version.Split('+')[0]}");
    }

    public async Task<HubRepoInfo> GetRepoInfoAsync(string repoId, string revision, CancellationToken cancel)
    {
        Uri uri = new(_endpoint, $"api/{(Kind == HubRepoKind.Dataset ? "datasets" : "models")}/{repoId}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(Timeout);
        try
        {
            using HttpResponseMessage r = await SendAsync(HttpMethod.Get, uri, 0, followRedirects: true, timeout.Token, cancel);
            if (!r.IsSuccessStatusCode) throw Failure(r, repoId, $"{repoId}@{revision}", null);
            return HubRepoInfo.Parse(repoId, await r.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new HubException($"{Environment.Endpoint} did not answer within {Timeout.TotalSeconds:0} s (listing {repoId}@{revision})");
        }
    }

    /// <summary>The metadata of one file without its content (the Hub puts it on the redirect, which is not followed).</summary>
    public async Task<HubFileHead> HeadAsync(string repoId, string revision, string path, CancellationToken cancel)
    {
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(Timeout);
        try
        {
            using HttpResponseMessage r = await SendAsync(HttpMethod.Head, ResolveUri(repoId, revision, path), 0, followRedirects: false, timeout.Token, cancel);
            if ((int)r.StatusCode >= 400) throw Failure(r, repoId, $"{repoId}@{revision}: {path}", path);
            string? commit = Header(r, "X-Repo-Commit");
            string? etag = Header(r, "X-Linked-Etag") ?? Header(r, "ETag");
            long? size = long.TryParse(Header(r, "X-Linked-Size"), out long linked) ? linked : r.Content.Headers.ContentLength;
            return new HubFileHead(commit, NormalizeETag(etag), size);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new HubException($"{Environment.Endpoint} did not answer within {Timeout.TotalSeconds:0} s (HEAD {path})");
        }
    }

    /// <summary>
    /// Starts downloading a file from byte <paramref name="offset"/> (a Range request when above 0). The answer is
    /// 200 (whole file), 206 (the rest) or 416 (the range is past the end); the caller reads the body.
    /// </summary>
    public async Task<HttpResponseMessage> OpenFileAsync(string repoId, string revision, string path, long offset, CancellationToken cancel)
    {
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(Timeout);
        HttpResponseMessage r;
        try
        {
            r = await SendAsync(HttpMethod.Get, ResolveUri(repoId, revision, path), offset, followRedirects: true, timeout.Token, cancel);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new HubException($"{Environment.Endpoint} did not answer within {Timeout.TotalSeconds:0} s (downloading {path})");
        }
        if (r.StatusCode is HttpStatusCode.OK or HttpStatusCode.PartialContent or HttpStatusCode.RequestedRangeNotSatisfiable) return r;
        using (r) throw Failure(r, repoId, $"{repoId}@{revision}: {path}", path);
    }

    private Uri ResolveUri(string repoId, string revision, string path) =>
        new(_endpoint, $"{(Kind == HubRepoKind.Dataset ? "datasets/" : "")}{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, long offset, bool followRedirects, CancellationToken token, CancellationToken userCancel)
    {
        for (int hop = 0; ; hop++)
        {
            using HttpRequestMessage request = new(method, uri);
            // The token is for the Hub; storage that a download redirects to gets a signed URL and must not see it.
            if (Environment.Token != null && SameOrigin(uri, _endpoint)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Environment.Token);
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(uri, e);
            }
            int code = (int)response.StatusCode;
            Uri? location = response.Headers.Location;
            if (code is 301 or 302 or 303 or 307 or 308 && location != null)
            {
                Uri next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                // HEAD keeps the Hub's own answer (its X-Linked-* headers); only a relative redirect (a renamed
                // repository) is followed, not the absolute one to the storage that serves the bytes.
                if (followRedirects || !location.IsAbsoluteUri)
                {
                    if (hop >= MaxRedirects) throw new HubException($"{uri}: more than {MaxRedirects} redirects");
                    response.Dispose();
                    uri = next;
                    continue;
                }
            }
            userCancel.ThrowIfCancellationRequested();
            return response;
        }
    }

    private HubException Unreachable(Uri uri, HttpRequestException e)
    {
        string why = e.InnerException?.Message ?? e.Message;
        return new HubException($"cannot reach {uri.GetLeftPart(UriPartial.Authority)} ({why}); check the network connection, " +
            "or set CRIA_OFFLINE=1 to use only what is already in the cache", e);
    }

    private HubException Failure(HttpResponseMessage r, string repoId, string what, string? path)
    {
        int code = (int)r.StatusCode;
        string? errorCode = Header(r, "X-Error-Code");
        string? serverMessage = Header(r, "X-Error-Message");
        string page = $"{Environment.Endpoint}/{(Kind == HubRepoKind.Dataset ? "datasets/" : "")}{repoId}";
        string tokenHint = Environment.Token == null
            ? "set HF_TOKEN to an access token of an account that has access (see https://huggingface.co/settings/tokens)"
            : "the token in HF_TOKEN was sent but does not give access to it";
        string message = (code, errorCode) switch
        {
            (_, "GatedRepo") or (403, _) => $"{what}: access denied (HTTP {code}): {repoId} is gated — accept its terms at {page} and {tokenHint}",
            (401, _) => $"{what}: unauthorized (HTTP 401): {repoId} does not exist, or it is private or gated — check the name; if it exists, {tokenHint}",
            (404, "RevisionNotFound") => $"{what}: revision not found on {Environment.Endpoint} (HTTP 404)",
            (404, "EntryNotFound") => $"{what}: file not found in the repository (HTTP 404)",
            (404, "RepoNotFound") => $"{what}: repository {repoId} not found on {Environment.Endpoint} (HTTP 404)",
            (404, _) => path == null
                ? $"{what}: repository or revision not found on {Environment.Endpoint} (HTTP 404)"
                : $"{what}: file not found (HTTP 404)",
            (429, _) => $"{what}: the Hub is rate-limiting requests (HTTP 429); try again later",
            ( >= 500, _) => $"{what}: the Hub answered HTTP {code} {r.ReasonPhrase}; try again later",
            _ => $"{what}: the Hub answered HTTP {code} {r.ReasonPhrase}",
        };
        return new HubException(serverMessage == null ? message : $"{message} ({serverMessage})");
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out IEnumerable<string>? v) || r.Content.Headers.TryGetValues(name, out v) ? v.FirstOrDefault() : null;

    /// <summary>The blob key an ETag names: without the weak prefix and the quotes.</summary>
    public static string? NormalizeETag(string? etag)
    {
        if (etag == null) return null;
        string e = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        e = e.Trim('"').ToLowerInvariant();
        return HubRepoInfo.IsSafeKey(e) ? e : null;
    }

    public void Dispose() => _http.Dispose();
}

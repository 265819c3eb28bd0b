namespace Cria.Hub;

/// <summary>
/// Where the Hub is and how to talk to it, read from the variables the Hugging Face tools use: HF_ENDPOINT,
/// HF_TOKEN (else the token file `huggingface-cli login` writes), HF_HUB_OFFLINE or CRIA_OFFLINE, and the cache
/// folder HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub — so caches filled by other tools are reused.
/// </summary>
public sealed record HubEnvironment
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public string Endpoint { get; init; } = DefaultEndpoint;
    public string? Token { get; init; }
    /// <summary>The variable that switched offline mode on (for messages), or null when online.</summary>
    public string? OfflineVariable { get; init; }
    public bool Offline => OfflineVariable != null;
    public required string CacheDir { get; init; }

    public static HubEnvironment FromEnvironment(string? cacheDir = null) => From(Environment.GetEnvironmentVariable, cacheDir);

    public static HubEnvironment From(Func<string, string?> env, string? cacheDir = null)
    {
        string endpoint = NonEmpty(env("HF_ENDPOINT")) ?? DefaultEndpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"HF_ENDPOINT must be an http(s) URL, got '{endpoint}'");
        string? offline = new[] { "CRIA_OFFLINE", "HF_HUB_OFFLINE" }.FirstOrDefault(v => IsTrue(env(v)));
        return new HubEnvironment
        {
            Endpoint = endpoint.TrimEnd('/'),
            Token = NonEmpty(env("HF_TOKEN")) ?? NonEmpty(env("HUGGING_FACE_HUB_TOKEN")) ?? TokenFile(env),
            OfflineVariable = offline,
            CacheDir = Path.GetFullPath(NonEmpty(cacheDir) ?? DefaultCacheDir(env)),
        };
    }

    public static string DefaultCacheDir(Func<string, string?> env) =>
        NonEmpty(env("HF_HUB_CACHE")) ?? NonEmpty(env("HUGGINGFACE_HUB_CACHE")) ?? Path.Combine(HfHome(env), "hub");

    private static string HfHome(Func<string, string?> env) =>
        NonEmpty(env("HF_HOME")) ?? Path.Combine(NonEmpty(env("XDG_CACHE_HOME")) ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");

    private static string? TokenFile(Func<string, string?> env)
    {
        string path = NonEmpty(env("HF_TOKEN_PATH")) ?? Path.Combine(HfHome(env), "token");
        try
        {
            return File.Exists(path) ? NonEmpty(File.ReadAllText(path).Trim()) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsTrue(string? v) => v != null && v.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

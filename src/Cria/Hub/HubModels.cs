namespace Cria.Hub;

/// <summary>
/// Lets every command take a pulled model by name: an argument that is not an existing file or folder but reads as
/// <c>org/name[@revision]</c> becomes the cached snapshot (its folder, or its one GGUF file).
/// </summary>
public static class HubModels
{
    public static string ResolvePath(string argument) => ResolvePath(argument, HubEnvironment.DefaultCacheDir(Environment.GetEnvironmentVariable));

    public static string ResolvePath(string argument, string cacheDir)
    {
        if (File.Exists(argument) || Directory.Exists(argument) || !HubModelReference.TryParse(argument, out HubModelReference? r)) return argument;
        HubCache cache = new(cacheDir);
        string? snapshot = cache.FindSnapshot(r.RepoId, r.RevisionOrDefault);
        if (snapshot == null)
            throw new FileNotFoundException($"{argument}: no such file or folder, and {r} is not in the Hugging Face cache ({cache.Root}); download it with: cria pull {r}", argument);
        return HubCache.ModelPathIn(snapshot, r.ToString());
    }
}

namespace Cria.Hub;

/// <summary>
/// Which files of a repository a pull fetches. By default what a LLaMA-family checkpoint needs to run: config,
/// generation config, the safetensors weights (only the shards the index names, so a repository that also carries
/// consolidated.safetensors is not fetched twice), and the tokenizer files. <c>--include</c> patterns replace that
/// set, e.g. one GGUF file of a quantized repository.
/// </summary>
public sealed class FileSelection
{
    public const string IndexFile = "model.safetensors.index.json";

    private static readonly string[] DefaultNames =
        ["config.json", "generation_config.json", IndexFile, "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"];

    private readonly GlobPattern[]? _include;
    private readonly HashSet<string>? _exact;

    public FileSelection(IEnumerable<string>? include = null)
    {
        string[] patterns = include?.ToArray() ?? [];
        _include = patterns.Length == 0 ? null : patterns.Select(p => new GlobPattern(p)).ToArray();
    }

    private FileSelection(HashSet<string> exact) => _exact = exact;

    /// <summary>Exactly these repository paths (a dataset's chosen split files), with no pattern syntax.</summary>
    public static FileSelection Exactly(IEnumerable<string> paths) => new(paths.ToHashSet(StringComparer.Ordinal));

    public bool IsDefault => _include == null && _exact == null;

    public string Describe() => _exact != null ? string.Join(", ", _exact.Order(StringComparer.Ordinal))
        : _include == null ? "the default files (config, *.safetensors, tokenizer)" : string.Join(", ", _include.Select(p => p.Text));

    /// <summary>The files to fetch, before the index (when there is one) narrows the weights.</summary>
    public IReadOnlyList<HubFile> Select(IReadOnlyList<HubFile> files)
    {
        if (_exact != null) return files.Where(f => _exact.Contains(f.Path)).ToList();
        if (_include != null) return files.Where(f => _include.Any(p => p.IsMatch(f.Path))).ToList();
        bool hasIndex = files.Any(f => f.Path == IndexFile);
        bool hasSingle = files.Any(f => f.Path == "model.safetensors");
        return files.Where(f => DefaultNames.Contains(f.Path) || (IsRootSafetensors(f.Path) && (hasIndex || !hasSingle || f.Path == "model.safetensors"))).ToList();
    }

    /// <summary>Drops root safetensors the index does not name (default selection only).</summary>
    public IReadOnlyList<HubFile> NarrowByIndex(IReadOnlyList<HubFile> selected, IReadOnlySet<string> shards) =>
        !IsDefault ? selected : selected.Where(f => !IsRootSafetensors(f.Path) || shards.Contains(f.Path)).ToList();

    /// <summary>Whether a snapshot already holds what this selection asks for (offline mode has no listing to compare with).</summary>
    public bool Satisfied(string snapshot)
    {
        string[] present = Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(snapshot, f).Replace('\\', '/')).ToArray();
        if (_exact != null) return _exact.All(present.Contains);
        if (_include != null) return present.Any(p => _include.Any(g => g.IsMatch(p)));
        return present.Contains("config.json") && present.Any(IsRootSafetensors);
    }

    private static bool IsRootSafetensors(string path) => !path.Contains('/') && path.EndsWith(".safetensors", StringComparison.Ordinal);
}

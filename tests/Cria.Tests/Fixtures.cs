using Xunit;

namespace Cria.Tests;

/// <summary>Locates ../shared/fixtures (relative to the repository root) and skips tests when it is absent.</summary>
public static class Fixtures
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        string? env = Environment.GetEnvironmentVariable("CRIA_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir != null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cria.slnx")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures"));
                return Directory.Exists(candidate) ? candidate : null;
            }
            dir = dir.Parent;
        }
        return null;
    }

    /// <summary>Full path of a fixture file; skips the calling test when the fixtures are absent.</summary>
    public static string Path_(string relative)
    {
        Skip.If(Root == null, "fixtures not found at ../shared/fixtures (set CRIA_FIXTURES to point elsewhere)");
        string full = Path.Combine(Root!, relative);
        Skip.IfNot(File.Exists(full) || Directory.Exists(full), $"fixture {relative} is absent");
        return full;
    }

    public static string RepoRoot
    {
        get
        {
            DirectoryInfo? dir = new(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Cria.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }
}

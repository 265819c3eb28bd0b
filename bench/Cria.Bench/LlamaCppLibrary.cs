using LLama.Native;

namespace Cria.Bench;

/// <summary>Loads llama.cpp's native libraries once, quietly, and says why when they cannot be loaded.</summary>
internal static class LlamaCppLibrary
{
    private static readonly Lazy<string?> Failure = new(Load);

    /// <summary>Null when llama.cpp is usable, else the reason it is not.</summary>
    public static string? Unavailable => Failure.Value;

    private static string? Load()
    {
        try
        {
            // Its load-time log would drown the table; errors still surface as exceptions.
            NativeLibraryConfig.All.WithLogCallback((_, _) => { });
            NativeApi.llama_empty_call();
            return null;
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}

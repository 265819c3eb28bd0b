namespace Cria.Tests.Text;

/// <summary>A fresh directory under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("cria-tok-").FullName;

    public string File(string name, string? text = null)
    {
        string p = System.IO.Path.Combine(Path, name);
        if (text != null) System.IO.File.WriteAllText(p, text);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

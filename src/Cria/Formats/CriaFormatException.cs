namespace Cria.Formats;

/// <summary>
/// A file could not be read as the format it claims to be. The message names the file and the field
/// so that the CLI can print it as one line.
/// </summary>
public sealed class CriaFormatException : Exception
{
    public string FilePath { get; }
    public string Field { get; }

    public CriaFormatException(string filePath, string field, string problem, Exception? inner = null)
        : base($"{filePath}: {field}: {problem}", inner)
    {
        FilePath = filePath;
        Field = field;
    }
}

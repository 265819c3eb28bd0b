namespace Cria.Formats;

/// <summary>
/// Writes a file through a temporary sibling, a flush to disk and a rename, so a crash leaves either the old
/// file or the new one — never half a file, and never the user's previous file lost.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] data) => Write(path, s => s.Write(data));

    public static void WriteAllText(string path, string content) => Write(path, s =>
    {
        using StreamWriter w = new(s, new System.Text.UTF8Encoding(false), leaveOpen: true);
        w.Write(content);
    });

    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"{path}: folder {dir} does not exist");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (FileStream s = new(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(s);
                s.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}

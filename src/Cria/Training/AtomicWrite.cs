namespace Cria.Training;

/// <summary>Writes files through a temporary sibling, a flush to disk and a rename: a crash leaves the old file or the new one.</summary>
public static class AtomicWrite
{
    public static void Bytes(string path, byte[] data) => Stream(path, s => s.Write(data));

    public static void Stream(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
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

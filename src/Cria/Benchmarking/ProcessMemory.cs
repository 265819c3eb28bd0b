using System.Globalization;

namespace Cria.Benchmarking;

/// <summary>
/// Resident memory of this process as the kernel counts it (<c>/proc/self/status</c>). Memory-mapped weights are
/// resident only once their pages are touched, so <see cref="File"/> grows as a model is first run, while
/// <see cref="Anonymous"/> is the memory the process allocated itself.
/// </summary>
public readonly record struct ProcessMemory(long Resident, long Anonymous, long File, long Peak)
{
    /// <summary>Null where /proc is not available (not Linux).</summary>
    public static ProcessMemory? Read() => Parse(ReadStatus());

    public static ProcessMemory? Parse(string? status)
    {
        if (status == null) return null;
        long rss = -1, anon = 0, file = 0, peak = 0;
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kilobytes(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
        }
        return rss < 0 ? null : new ProcessMemory(rss, anon, file, peak);
    }

    // Lines read "VmRSS:	  123456 kB".
    private static long Kilobytes(string line)
    {
        string[] parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb * 1024 : 0;
    }

    private static string? ReadStatus()
    {
        try
        {
            return System.IO.File.ReadAllText("/proc/self/status");
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

    /// <summary>The 1-, 5- and 15-minute load averages from /proc/loadavg, or null: other processes' load skews every timing.</summary>
    public static string? LoadAverage()
    {
        try
        {
            return string.Join(' ', System.IO.File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
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
}

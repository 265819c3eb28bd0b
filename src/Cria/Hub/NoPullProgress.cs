namespace Cria.Hub;

/// <summary>Progress nobody watches: offline lookups, which download nothing, and callers without a display.</summary>
public sealed class NoPullProgress : IPullProgress
{
    public static readonly NoPullProgress Instance = new();

    private NoPullProgress()
    {
    }

    public void Started(HubFile file, long have)
    {
    }

    public void Received(HubFile file, long bytes)
    {
    }

    public void Finished(HubFile file, bool fromCache)
    {
    }

    public void Note(string message)
    {
    }
}

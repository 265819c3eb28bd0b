using Cria.Formats;

namespace Cria.Tests.Formats;

/// <summary>What a SIGKILL inside <see cref="HfFolderWriter.WriteFolder"/> can leave behind, and how --resume tidies it.</summary>
public class FolderSwapRecoveryTests
{
    // Above Linux's largest PID (2^22), so no process has it.
    private const int DeadPid = 2_000_000_000;

    [Fact]
    public void KilledBetweenTheRenamesTheFolderIsPutBack()
    {
        using TempDir tmp = new();
        string old = tmp.File($".ckpt.old-{DeadPid}"), halfBuilt = tmp.File($".ckpt.tmp-{DeadPid}"), ours = tmp.File($".ckpt.tmp-{Environment.ProcessId}");
        Directory.CreateDirectory(old);
        File.WriteAllText(Path.Combine(old, "model.safetensors"), "weights");
        Directory.CreateDirectory(halfBuilt);
        Directory.CreateDirectory(ours);

        Assert.True(HfFolderWriter.RecoverInterruptedSwap(tmp.File("ckpt")));
        Assert.Equal("weights", File.ReadAllText(tmp.File("ckpt/model.safetensors")));
        Assert.False(Directory.Exists(old));
        Assert.False(Directory.Exists(halfBuilt));
        Assert.True(Directory.Exists(ours), "a folder a live process is building must stay");

        // Killed while deleting the set-aside folder after a complete swap: the leftover goes, the folder stays.
        Directory.CreateDirectory(old);
        Assert.False(HfFolderWriter.RecoverInterruptedSwap(tmp.File("ckpt")));
        Assert.False(Directory.Exists(old));
        Assert.Equal("weights", File.ReadAllText(tmp.File("ckpt/model.safetensors")));
    }
}

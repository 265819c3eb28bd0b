using System.ComponentModel;
using System.Diagnostics;
using Cria.Hub;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class PullSettings : CommandSettings
{
    [CommandArgument(0, "<model>")]
    [Description("Hugging Face model repository: org/name, or org/name@revision.")]
    public string Model { get; set; } = "";

    [CommandOption("--revision <REV>")]
    [Description("Branch, tag or commit to download (default main).")]
    public string? Revision { get; set; }

    [CommandOption("--include <GLOB>")]
    [Description("Download only the files matching this pattern (repeatable; * and ? within a folder, ** across), e.g. \"*Q4_K_M.gguf\". Default: config, *.safetensors and tokenizer files.")]
    public string[] Include { get; set; } = [];

    [CommandOption("--cache <DIR>")]
    [Description("Cache folder (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub, shared with the Hugging Face tools).")]
    public string? Cache { get; set; }

    public HubModelReference Reference()
    {
        HubModelReference r = HubModelReference.Parse(Model);
        if (Revision == null) return r;
        if (!HubModelReference.IsValidRevision(Revision)) throw new ArgumentException($"--revision '{Revision}' is not a branch, tag or commit name");
        if (r.Revision != null && r.Revision != Revision) throw new ArgumentException($"{Model} names revision {r.Revision} but --revision says {Revision}");
        return r with { Revision = Revision };
    }
}

/// <summary>`cria pull`: downloads a model from the Hugging Face Hub into the shared cache and prints its path.</summary>
public sealed class PullCommand : AsyncCommand<PullSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, PullSettings settings, CancellationToken cancellationToken)
    {
        HubModelReference reference = settings.Reference();
        FileSelection selection = new(settings.Include);
        HubEnvironment env = HubEnvironment.FromEnvironment(settings.Cache);
        using HubClient client = new(env);
        HubPuller puller = new(client, new HubCache(env.CacheDir));
        long start = Stopwatch.GetTimestamp();
        PullResult result = env.Offline
            ? await puller.PullAsync(reference, selection, NoPullProgress.Instance, cancellationToken)
            : await PullProgressDisplay.RunAsync(progress => puller.PullAsync(reference, selection, progress, cancellationToken));

        string name = result.Revision == HubModelReference.DefaultRevision ? result.RepoId : $"{result.RepoId}@{result.Revision}";
        if (result.Offline)
            Console.Error.WriteLine($"offline ({env.OfflineVariable}=1): {name} is already in the cache ({result.Files.Count} files, commit {result.Commit[..7]})");
        else
        {
            int cached = result.Files.Count(f => f.FromCache);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            Console.Error.WriteLine(
                $"pulled {name} (commit {result.Commit[..7]}): {result.Files.Count} files, {Size(result.DownloadedBytes)} downloaded" +
                $"{(cached > 0 ? $", {cached} already cached" : "")} in {seconds:F1} s");
        }
        string prefix = settings.Cache != null ? $"HF_HUB_CACHE={env.CacheDir} " : "";
        Console.Error.WriteLine($"use it by name: {prefix}cria chat {name}");
        Console.Out.WriteLine(result.ModelPath);
        return 0;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}

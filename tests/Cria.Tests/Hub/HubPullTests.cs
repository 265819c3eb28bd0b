using Cria.Hub;

namespace Cria.Tests.Hub;

/// <summary>
/// `cria pull` and the Hub client against <see cref="FakeHub"/> serving the stories260K fixtures (never the real Hub):
/// a full download usable by name, resumed downloads, checksum failures, offline mode, tokens and 404s.
/// </summary>
public class HubPullTests
{
    private const string Repo = "tiny/stories260K";
    private const string GgufRepo = "tiny/stories260K-GGUF";

    private static async Task<FakeHub> StartHubAsync() => await FakeHub.StartAsync(new Dictionary<string, string>
    {
        [Repo] = Fixtures.Path_("models/stories260K-hf"),
        [GgufRepo] = Path.GetDirectoryName(Fixtures.Path_("models/gguf/stories260K/stories260K.gguf"))!,
    });

    private static (HubPuller Puller, HubClient Client) Puller(FakeHub hub, TempDir d, string? token = null, int attempts = 4)
    {
        HubEnvironment env = new() { Endpoint = hub.Endpoint, Token = token, CacheDir = d.File("hub") };
        HubClient client = new(env);
        return (new HubPuller(client, new HubCache(env.CacheDir)) { Attempts = attempts }, client);
    }

    [SkippableFact]
    public async Task Pull_downloads_the_checkpoint_into_the_hf_cache_and_generate_runs_it_by_name()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        string source = Fixtures.Path_("models/stories260K-hf");

        CliRunner.Result pull = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d), "pull", Repo);
        Assert.True(pull.ExitCode == 0, pull.Stderr);
        string snapshot = Path.Combine(d.File("hub"), "models--tiny--stories260K", "snapshots", FakeHub.Commit);
        Assert.Equal(snapshot, pull.Stdout.Trim());
        Assert.Contains("pulled tiny/stories260K", pull.Stderr);
        Assert.Equal(FakeHub.Commit, File.ReadAllText(Path.Combine(d.File("hub"), "models--tiny--stories260K", "refs", "main")));
        foreach (string name in new[] { "config.json", "generation_config.json", "model.safetensors", "tokenizer.model", "tokenizer_config.json" })
        {
            byte[] expected = File.ReadAllBytes(Path.Combine(source, name));
            string link = Path.Combine(snapshot, name);
            Assert.NotNull(new FileInfo(link).LinkTarget);
            Assert.Equal(expected, File.ReadAllBytes(link));
            string key = name.EndsWith(".safetensors", StringComparison.Ordinal) ? FakeHub.Sha256(expected) : FakeHub.GitBlobId(expected);
            Assert.True(File.Exists(Path.Combine(d.File("hub"), "models--tiny--stories260K", "blobs", key)), $"blob of {name}");
        }
        Assert.Empty(Directory.EnumerateFiles(d.File("hub"), "*.incomplete", SearchOption.AllDirectories));

        string[] args = ["-p", "Once upon a time", "-n", "12", "--temperature", "0"];
        CliRunner.Result byName = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d), ["generate", Repo, .. args]);
        CliRunner.Result byPath = CliRunner.Run(["generate", source, .. args]);
        Assert.True(byName.ExitCode == 0, byName.Stderr);
        Assert.Equal(byPath.Stdout, byName.Stdout);
        Assert.True(byName.Stdout.Length > "Once upon a time".Length, byName.Stdout);

        // A second pull finds every blob in the cache and downloads nothing.
        int before = hub.Requests.Count;
        (HubPuller puller, HubClient client) = Puller(hub, d);
        using (client)
        {
            PullResult again = await puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
            Assert.All(again.Files, f => Assert.True(f.FromCache, f.Path));
            Assert.Equal(0, again.DownloadedBytes);
        }
        Assert.DoesNotContain(hub.Requests.Skip(before), r => r.Path.Contains("/resolve/", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_dropped_connection_is_resumed_with_a_range_request_and_the_hash_checks_out()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        byte[] weights = File.ReadAllBytes(Path.Combine(Fixtures.Path_("models/stories260K-hf"), "model.safetensors"));
        const int cut = 300_000;
        hub.DropFirstDownloadAfter = cut;

        // Within one pull: the client retries from where the connection dropped.
        (HubPuller puller, HubClient client) = Puller(hub, d);
        RecordingProgress progress = new();
        using (client)
        {
            PullResult result = await puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), progress);
            Assert.Equal(FakeHub.Sha256(weights), FakeHub.Sha256(File.ReadAllBytes(Path.Combine(result.SnapshotPath, "model.safetensors"))));
        }
        string[] storageRanges = hub.Requests.Where(r => r.Path.StartsWith("/storage/", StringComparison.Ordinal)).Select(r => r.Range ?? "").ToArray();
        Assert.Equal(2, storageRanges.Length);
        Assert.Equal("", storageRanges[0]);
        long resumedAt = ResumeOffset(storageRanges[1]);
        Assert.InRange(resumedAt, 1, cut);
        Assert.Contains(progress.Notes, n => n.StartsWith("model.safetensors: ", StringComparison.Ordinal) && n.Contains($"resuming from byte {resumedAt:N0}", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task An_interrupted_pull_leaves_a_partial_file_that_the_next_pull_resumes()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        byte[] weights = File.ReadAllBytes(Path.Combine(Fixtures.Path_("models/stories260K-hf"), "model.safetensors"));
        string sha = FakeHub.Sha256(weights);
        string partial = Path.Combine(d.File("hub"), "models--tiny--stories260K", "blobs", sha + ".incomplete");
        hub.DropFirstDownloadAfter = 200_000;

        (HubPuller once, HubClient client1) = Puller(hub, d, attempts: 1);
        using (client1)
        {
            HubException e = await Assert.ThrowsAsync<HubException>(() => once.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress()));
            Assert.StartsWith("model.safetensors: download interrupted after ", e.Message);
            Assert.Contains("run the same cria pull again to resume", e.Message);
        }
        long kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, 200_000);
        Assert.False(File.Exists(Path.Combine(d.File("hub"), "models--tiny--stories260K", "snapshots", FakeHub.Commit, "model.safetensors")));

        (HubPuller next, HubClient client2) = Puller(hub, d);
        using (client2)
        {
            PullResult result = await next.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
            Assert.Equal(sha, FakeHub.Sha256(File.ReadAllBytes(Path.Combine(result.SnapshotPath, "model.safetensors"))));
        }
        Assert.False(File.Exists(partial));
        Assert.Equal(kept, ResumeOffset(hub.Requests.Last(r => r.Path.StartsWith("/storage/", StringComparison.Ordinal)).Range));
    }

    [SkippableFact]
    public async Task A_checksum_mismatch_is_rejected_naming_the_file_and_nothing_enters_the_cache()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        hub.WrongSha256 = new string('e', 64);

        CliRunner.Result pull = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d), "pull", Repo);
        Assert.Equal(1, pull.ExitCode);
        string error = pull.Stderr.Trim().Split('\n').Last();
        Assert.StartsWith("error: model.safetensors: sha256 mismatch: the Hub lists eeee", error);
        Assert.Contains("the download was deleted and nothing was added to the cache", error);
        string repoDir = Path.Combine(d.File("hub"), "models--tiny--stories260K");
        Assert.False(File.Exists(Path.Combine(repoDir, "snapshots", FakeHub.Commit, "model.safetensors")));
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(repoDir, "blobs"), "*", SearchOption.AllDirectories), f => new FileInfo(f).Length > 100_000);
        Assert.False(File.Exists(Path.Combine(repoDir, "refs", "main")));
    }

    [SkippableFact]
    public async Task Offline_mode_answers_from_the_cache_or_says_it_is_offline_without_touching_the_network()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();

        CliRunner.Result missing = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d, ("CRIA_OFFLINE", "1")), "pull", Repo);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"error: offline mode (CRIA_OFFLINE=1): {Repo} is not in the cache at {d.File("hub")}; unset CRIA_OFFLINE to download it", missing.Stderr.Trim());
        Assert.Empty(hub.Requests);

        (HubPuller puller, HubClient client) = Puller(hub, d);
        using (client) await puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
        int online = hub.Requests.Count;
        CliRunner.Result cached = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d, ("HF_HUB_OFFLINE", "1")), "pull", Repo);
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        Assert.Contains($"offline (HF_HUB_OFFLINE=1): {Repo} is already in the cache", cached.Stderr);
        Assert.Equal(Path.Combine(d.File("hub"), "models--tiny--stories260K", "snapshots", FakeHub.Commit), cached.Stdout.Trim());
        Assert.Equal(online, hub.Requests.Count);
    }

    [SkippableFact]
    public async Task The_token_goes_as_a_bearer_header_to_the_hub_only_and_a_refusal_explains_gated_models_and_HF_TOKEN()
    {
        await using FakeHub hub = await StartHubAsync();
        hub.RequiredToken = "hf_secret";
        hub.StorageHost = "localhost";
        using TempDir d = new();
        (HubPuller anonymous, HubClient c1) = Puller(hub, d);
        using (c1)
        {
            HubException e = await Assert.ThrowsAsync<HubException>(() => anonymous.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress()));
            Assert.Contains("unauthorized (HTTP 401)", e.Message);
            Assert.Contains("private or gated", e.Message);
            Assert.Contains("set HF_TOKEN", e.Message);
        }
        (HubPuller withToken, HubClient c2) = Puller(hub, d, token: "hf_secret");
        using (c2)
        {
            PullResult r = await withToken.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
            Assert.Equal(5, r.Files.Count);
        }
        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/api/models/", StringComparison.Ordinal) && r.Authorization == "Bearer hf_secret");
        Assert.Contains(hub.Requests, r => r.Path.Contains("/resolve/", StringComparison.Ordinal) && r.Authorization == "Bearer hf_secret");
        // The storage that large files redirect to is another origin: it gets the signed URL, never the token.
        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/storage/", StringComparison.Ordinal));
        Assert.All(hub.Requests.Where(r => r.Path.StartsWith("/storage/", StringComparison.Ordinal)), r => Assert.Null(r.Authorization));
    }

    [SkippableFact]
    public async Task Missing_repositories_revisions_and_files_get_a_not_found_message()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        (HubPuller puller, HubClient client) = Puller(hub, d);
        using (client)
        {
            HubException repo = await Assert.ThrowsAsync<HubException>(() => puller.PullAsync(HubModelReference.Parse("tiny/nope"), new FileSelection(), new RecordingProgress()));
            Assert.Equal($"tiny/nope@main: repository tiny/nope not found on {hub.Endpoint} (HTTP 404)", repo.Message);
            HubException rev = await Assert.ThrowsAsync<HubException>(() => puller.PullAsync(HubModelReference.Parse(Repo + "@v9"), new FileSelection(), new RecordingProgress()));
            Assert.Equal($"{Repo}@v9: revision not found on {hub.Endpoint} (HTTP 404)", rev.Message);
            HubException none = await Assert.ThrowsAsync<HubException>(() => puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(["*.gguf"]), new RecordingProgress()));
            Assert.StartsWith($"{Repo}: no file matches *.gguf; the repository has: config.json,", none.Message);
        }
        // Through the CLI the same failure is one line; and a model that was never pulled points at cria pull.
        CliRunner.Result cli = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d), "pull", "tiny/nope");
        Assert.Equal(1, cli.ExitCode);
        Assert.Equal($"error: tiny/nope@main: repository tiny/nope not found on {hub.Endpoint} (HTTP 404)", cli.Stderr.Trim());
        CliRunner.Result info = CliRunner.RunWithEnvironment(FakeHub.Environment(hub.Endpoint, d), "info", "tiny/nope");
        Assert.Equal(1, info.ExitCode);
        Assert.Contains("download it with: cria pull tiny/nope", info.Stderr);
    }

    [SkippableFact]
    public async Task A_listing_without_metadata_is_completed_from_the_head_headers_and_still_verified()
    {
        await using FakeHub hub = await StartHubAsync();
        hub.BareListing = true;
        using TempDir d = new();
        string source = Fixtures.Path_("models/stories260K-hf");
        (HubPuller puller, HubClient client) = Puller(hub, d);
        using (client)
        {
            PullResult r = await puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
            Assert.Equal(FakeHub.Commit, r.Commit);
            foreach (PulledFile f in r.Files)
                Assert.Equal(File.ReadAllBytes(Path.Combine(source, f.Path)), File.ReadAllBytes(Path.Combine(r.SnapshotPath, f.Path)));
        }
        Assert.Contains(hub.Requests, q => q.Method == "HEAD" && q.Path.EndsWith("/model.safetensors", StringComparison.Ordinal));
        byte[] weights = File.ReadAllBytes(Path.Combine(source, "model.safetensors"));
        Assert.True(File.Exists(Path.Combine(d.File("hub"), "models--tiny--stories260K", "blobs", FakeHub.Sha256(weights))));
    }

    [SkippableFact]
    public async Task An_unreachable_hub_is_one_clear_error_that_points_at_a_cached_copy()
    {
        using TempDir d = new();
        // Port 1 on loopback refuses connections at once: the same failure as a machine without a network, minus the wait.
        HubEnvironment nowhere = new() { Endpoint = "http://127.0.0.1:1", CacheDir = d.File("hub") };
        using (HubClient client = new(nowhere))
        {
            HubException e = await Assert.ThrowsAsync<HubException>(() => new HubPuller(client, new HubCache(nowhere.CacheDir))
                .PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress()));
            Assert.StartsWith("cannot reach http://127.0.0.1:1 (", e.Message);
            Assert.EndsWith("check the network connection, or set CRIA_OFFLINE=1 to use only what is already in the cache", e.Message);
        }

        await using (FakeHub hub = await StartHubAsync())
        {
            (HubPuller puller, HubClient client) = Puller(hub, d);
            using (client) await puller.PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress());
        }
        using (HubClient client = new(nowhere))
        {
            HubException e = await Assert.ThrowsAsync<HubException>(() => new HubPuller(client, new HubCache(nowhere.CacheDir))
                .PullAsync(HubModelReference.Parse(Repo), new FileSelection(), new RecordingProgress()));
            Assert.Contains($"{Repo} is already cached at {Path.Combine(d.File("hub"), "models--tiny--stories260K", "snapshots", FakeHub.Commit)}; with CRIA_OFFLINE=1", e.Message);
        }
    }

    [SkippableFact]
    public async Task Include_fetches_one_gguf_and_the_name_resolves_to_that_file()
    {
        await using FakeHub hub = await StartHubAsync();
        using TempDir d = new();
        (HubPuller puller, HubClient client) = Puller(hub, d);
        using (client)
        {
            PullResult r = await puller.PullAsync(HubModelReference.Parse(GgufRepo), new FileSelection(["*.gguf"]), new RecordingProgress());
            Assert.Equal(["stories260K.gguf"], r.Files.Select(f => f.Path));
            Assert.Equal(Path.Combine(r.SnapshotPath, "stories260K.gguf"), r.ModelPath);
        }
        Assert.Equal(Path.Combine(d.File("hub"), "models--tiny--stories260K-GGUF", "snapshots", FakeHub.Commit, "stories260K.gguf"),
            HubModels.ResolvePath(GgufRepo, d.File("hub")));
        Assert.Equal(Path.Combine(d.File("hub"), "models--tiny--stories260K-GGUF", "snapshots", FakeHub.Commit, "stories260K.gguf"),
            HubModels.ResolvePath($"{GgufRepo}@{FakeHub.Commit}", d.File("hub")));
        Assert.Equal("tiny/stories260K-GGUF", HubCache.RepoIdOf(HubModels.ResolvePath(GgufRepo, d.File("hub"))));
    }

    private static long ResumeOffset(string? range)
    {
        Assert.NotNull(range);
        Assert.Matches("^bytes=[0-9]+-$", range);
        return long.Parse(range["bytes=".Length..^1]);
    }

    private sealed class RecordingProgress : IPullProgress
    {
        public List<string> Notes { get; } = [];

        public void Started(HubFile file, long have)
        {
        }

        public void Received(HubFile file, long bytes)
        {
        }

        public void Finished(HubFile file, bool fromCache)
        {
        }

        public void Note(string message) => Notes.Add(message);
    }
}

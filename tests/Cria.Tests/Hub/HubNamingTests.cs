using Cria.Hub;

namespace Cria.Tests.Hub;

/// <summary>Model names, file patterns and the cache layout: the pure parts of the Hub client.</summary>
public class HubNamingTests
{
    [Theory]
    [InlineData("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", null)]
    [InlineData("org/name@v1.0", "org/name", "v1.0")]
    [InlineData("org/name@refs/pr/1", "org/name", "refs/pr/1")]
    public void Hub_names_parse(string text, string repo, string? revision)
    {
        Assert.True(HubModelReference.TryParse(text, out HubModelReference? r));
        Assert.Equal(repo, r.RepoId);
        Assert.Equal(revision, r.Revision);
    }

    [Theory]
    [InlineData("model.gguf")]
    [InlineData("./org/name")]
    [InlineData("/abs/path")]
    [InlineData("models/x.gguf")]
    [InlineData("a/b/c")]
    [InlineData("org/na--me")]
    [InlineData("org/name@../../etc")]
    [InlineData("org/name@")]
    public void Paths_and_unsafe_names_are_not_hub_names(string text) => Assert.False(HubModelReference.TryParse(text, out _));

    [Theory]
    [InlineData("*.gguf", "llama-7b.Q4_K_M.gguf", true)]
    [InlineData("*.gguf", "sub/llama.gguf", false)]
    [InlineData("**/*.gguf", "sub/llama.gguf", true)]
    [InlineData("**/*.gguf", "llama.gguf", true)]
    [InlineData("*Q4_K_M.gguf", "llama-7b.Q4_K_M.gguf", true)]
    [InlineData("*Q4_K_M.gguf", "llama-7b.Q5_K_M.gguf", false)]
    [InlineData("model-0000?-of-00002.safetensors", "model-00001-of-00002.safetensors", true)]
    [InlineData("tokenizer.[jm]*", "tokenizer.json", true)]
    [InlineData("tokenizer.[!j]*", "tokenizer.json", false)]
    [InlineData("config.json", "config-json", false)]
    public void Glob_patterns_match_repository_paths(string pattern, string path, bool match) =>
        Assert.Equal(match, new GlobPattern(pattern).IsMatch(path));

    [Fact]
    public void Default_selection_takes_the_indexed_shards_or_the_single_file_and_the_tokenizer()
    {
        HubFile F(string p) => new(p, 1, "b", null);
        HubFile[] sharded = [F("config.json"), F("model-00001-of-00002.safetensors"), F("model-00002-of-00002.safetensors"),
            F("consolidated.safetensors"), F(FileSelection.IndexFile), F("tokenizer.json"), F("README.md"), F("original/params.json")];
        FileSelection sel = new();
        IReadOnlyList<HubFile> chosen = sel.NarrowByIndex(sel.Select(sharded), new HashSet<string> { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" });
        Assert.Equal(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", FileSelection.IndexFile, "tokenizer.json"],
            chosen.Select(f => f.Path));
        HubFile[] single = [F("config.json"), F("model.safetensors"), F("consolidated.safetensors"), F("tokenizer.model")];
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.model"], sel.Select(single).Select(f => f.Path));
    }

    [Fact]
    public void Cache_folders_follow_the_hugging_face_layout_and_environment()
    {
        HubEnvironment env = HubEnvironment.From(v => v switch { "HF_HOME" => "/data/hf", "HF_HUB_OFFLINE" => "1", _ => null });
        Assert.Equal(Path.GetFullPath("/data/hf/hub"), env.CacheDir);
        Assert.Equal("HF_HUB_OFFLINE", env.OfflineVariable);
        Assert.Equal(HubEnvironment.DefaultEndpoint, env.Endpoint);
        HubEnvironment direct = HubEnvironment.From(v => v switch { "HF_HUB_CACHE" => "/c", "HF_HOME" => "/data/hf", "HF_TOKEN" => "t", "HF_ENDPOINT" => "http://127.0.0.1:1/", _ => null });
        Assert.Equal(Path.GetFullPath("/c"), direct.CacheDir);
        Assert.Equal("t", direct.Token);
        Assert.Equal("http://127.0.0.1:1", direct.Endpoint);
        Assert.False(direct.Offline);

        HubCache cache = new("/c");
        Assert.Equal(Path.GetFullPath("/c/models--org--name/blobs/abc.incomplete"), cache.IncompletePath("org/name", "abc"));
        Assert.Equal("org/name", HubCache.RepoIdOf("/c/models--org--name/snapshots/0123/model.gguf"));
        Assert.Null(HubCache.RepoIdOf("/c/elsewhere/model.gguf"));
        Assert.Equal("\"abc\"".Trim('"'), HubClient.NormalizeETag("W/\"ABC\""));
    }

    [Fact]
    public void Listing_paths_that_escape_the_snapshot_are_refused()
    {
        Assert.Throws<HubException>(() => HubRepoInfo.Parse("o/n", """{"sha":"0000000000000000000000000000000000000000","siblings":[{"rfilename":"../x"}]}"""));
        HubRepoInfo ok = HubRepoInfo.Parse("o/n", """{"sha":"0000000000000000000000000000000000000000","siblings":[{"rfilename":"a/b.gguf","size":5,"lfs":{"sha256":"AB","size":9}}]}""".Replace("\"AB\"", "\"" + new string('a', 64) + "\""));
        Assert.Equal(new HubFile("a/b.gguf", 9, null, new string('a', 64)), ok.Files.Single());
    }
}

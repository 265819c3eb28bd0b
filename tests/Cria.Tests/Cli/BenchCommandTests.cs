using System.Text.Json;
using Cria.Benchmarking;

namespace Cria.Tests.Cli;

/// <summary>`cria bench` end to end on stories260K with tiny tests: the JSON has the documented shape and positive figures (nothing is timed).</summary>
public class BenchCommandTests
{
    [SkippableFact]
    public void Json_report_has_both_tests_with_positive_rates_load_time_and_memory()
    {
        string model = Fixtures.Path_("models/stories260K/stories260K.bin");
        CliRunner.Result r = CliRunner.Run("bench", model, "-p", "8", "-n", "4", "-r", "2", "-t", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;

        JsonElement m = root.GetProperty("model");
        Assert.Equal("llama2c", m.GetProperty("format").GetString());
        Assert.Equal("F32", m.GetProperty("type").GetString());
        Assert.Equal(260_032, m.GetProperty("parameters").GetInt64());
        Assert.True(m.GetProperty("size_bytes").GetInt64() > 1_000_000);
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.InRange(root.GetProperty("load_seconds").GetDouble(), 1e-6, 60);
        foreach (string when in new[] { "after_load", "after_run" })
        {
            JsonElement mem = root.GetProperty("memory").GetProperty(when);
            long rss = mem.GetProperty("resident_bytes").GetInt64();
            Assert.True(rss > 1_000_000, $"{when}: {rss}");
            Assert.True(mem.GetProperty("file_bytes").GetInt64() + mem.GetProperty("anonymous_bytes").GetInt64() <= rss);
            Assert.True(mem.GetProperty("peak_bytes").GetInt64() >= rss);
        }

        JsonElement[] tests = root.GetProperty("tests").EnumerateArray().ToArray();
        Assert.Equal(["pp8", "tg4"], tests.Select(t => t.GetProperty("name").GetString()));
        Assert.Equal([8, 0], tests.Select(t => t.GetProperty("n_prompt").GetInt32()));
        Assert.Equal([0, 4], tests.Select(t => t.GetProperty("n_gen").GetInt32()));
        foreach (JsonElement t in tests)
        {
            double[] samples = t.GetProperty("samples_ts").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(2, samples.Length);
            Assert.All(samples, v => Assert.True(v > 0 && double.IsFinite(v)));
            Assert.Equal(samples.Average(), t.GetProperty("avg_ts").GetDouble(), 1e-9);
            Assert.True(t.GetProperty("stddev_ts").GetDouble() >= 0);
        }
    }

    [SkippableFact]
    public void Table_names_the_model_type_and_tests_and_bad_options_fail_with_one_line()
    {
        string model = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        CliRunner.Result r = CliRunner.Run("bench", model, "-p", "4", "-n", "0", "-r", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("stories260K.gguf", r.Stdout);
        Assert.Contains("pp4", r.Stdout);
        Assert.DoesNotContain("tg", r.Stdout.Split('\n')[3]);
        Assert.Contains("resident memory after load", r.Stdout);

        CliRunner.Result none = CliRunner.Run("bench", model, "-p", "0", "-n", "0");
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("error: nothing to measure", none.Stderr);
        CliRunner.Result ctx = CliRunner.Run("bench", model, "-p", "16", "--ctx", "8");
        Assert.Equal(1, ctx.ExitCode);
        Assert.Contains("smaller than the longest test", ctx.Stderr);
    }

    [Fact]
    public void Process_memory_reads_the_kernel_status_lines()
    {
        ProcessMemory? m = ProcessMemory.Parse("Name:\tcria\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nRssAnon:\t   300 kB\nRssFile:\t   700 kB\nRssShmem:\t 24 kB\n");
        Assert.Equal(new ProcessMemory(1024 * 1024, 300 * 1024, 700 * 1024, 2048 * 1024), m);
        Assert.Null(ProcessMemory.Parse("Name:\tcria\n"));
        if (OperatingSystem.IsLinux()) Assert.True(ProcessMemory.Read()!.Value.Resident > 0);
    }
}

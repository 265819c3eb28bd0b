using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Cria.Server;

namespace Cria.Bench;

/// <summary>
/// `serve-load`: N concurrent streaming clients against `cria serve` on loopback for a fixed time, after one
/// client alone for the same time. Every stream is checked (each event is `data: ` + JSON, one finish_reason,
/// usage, `[DONE]` last); reports aggregate generated tokens/s for both, their ratio, and resident memory.
/// </summary>
internal static class ServeLoadCommand
{
    private sealed class Tally
    {
        public long Tokens, Streams, Errors;
        public string? FirstError;

        public void Fail(string why)
        {
            Interlocked.Increment(ref Errors);
            Interlocked.CompareExchange(ref FirstError, why, null);
        }
    }

    public static int Run(Options o)
    {
        string model = o.Required("model");
        string template = o.String("template", "chatml")!;
        int clients = o.Int("clients", 16);
        int seconds = o.Int("seconds", 30);
        int maxTokens = o.Int("max-tokens", 128);
        int ctx = o.Int("ctx", 512);
        if (o.String("threads") is string t) Cria.Tensors.WorkerPool.ConfigureShared(int.Parse(t, CultureInfo.InvariantCulture));
        o.RejectUnknown();
        return RunAsync(model, template, clients, seconds, maxTokens, ctx).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string modelPath, string template, int clients, int seconds, int maxTokens, int ctx)
    {
        using CriaService service = CriaService.Load(new ServerOptions { ModelPath = modelPath, Template = template, Parallel = clients, Context = ctx, QueueLimit = clients });
        await using CriaServer server = await CriaServer.StartAsync(service, "127.0.0.1", 0, apiKey: null);
        using HttpClient http = new() { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(seconds + 60) };
        Console.WriteLine($"serving {service.ModelId} at {server.Address} with {clients} slots; {seconds} s per phase, {maxTokens} tokens per request");

        // Warm-up: JIT, buffers. Both client counts, since the concurrent paths (Kestrel, thread pool, channels) otherwise
        // tier up inside the measured phase: profiles showed the JIT taking a quarter of the CPU in its first seconds.
        await Phase(http, 1, 2, maxTokens);
        await Phase(http, clients, 3, maxTokens);
        double e1 = await EngineOnly(service, 1, Math.Min(seconds, 5), maxTokens);
        double e16 = await EngineOnly(service, clients, Math.Min(seconds, 5), maxTokens);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"engine alone (no HTTP): 1 sequence {e1:F1} tokens/s, {clients} sequences {e16:F1} tokens/s ({e16 / e1:F2}x)"));
        (double one, Tally t1) = await Phase(http, 1, seconds, maxTokens);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"1 client : {one,8:F1} tokens/s  ({t1.Streams} streams, {t1.Errors} errors)"));

        var before = service.Scheduler.Counters;
        long rssStart = Environment.WorkingSet;
        List<long> rss = new();
        using CancellationTokenSource sampling = new();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                rss.Add(Process.GetCurrentProcess().WorkingSet64);
                try { await Task.Delay(1000, sampling.Token); } catch (OperationCanceledException) { }
            }
        });
        (double many, Tally tn) = await Phase(http, clients, seconds, maxTokens);
        sampling.Cancel();
        await sampler;
        var c = service.Scheduler.Counters;
        long steps = c.DecodeSteps - before.DecodeSteps;
        double meanBatch = steps > 0 ? (double)(c.BatchedTokens - before.BatchedTokens) / steps : 0;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clients} clients: {many,8:F1} tokens/s  ({tn.Streams} streams, {tn.Errors} errors), mean decode batch {meanBatch:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio    : {many / Math.Max(one, 1e-9):F2}x"));
        int half = rss.Count / 2;
        if (rss.Count >= 4)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"resident : {rssStart / 1048576.0:F0} MiB before, {rss.Skip(1).Take(half).Max() / 1048576.0:F0} MiB max in the first half, {rss.Skip(half).Max() / 1048576.0:F0} MiB max in the second half"));
        string? error = t1.FirstError ?? tn.FirstError;
        if (error != null) Console.WriteLine("first error: " + error);
        return t1.Errors + tn.Errors == 0 ? 0 : 1;
    }

    /// <summary>The scheduler without HTTP: what batching alone gives, the ceiling for the HTTP figures.</summary>
    private static async Task<double> EngineOnly(CriaService service, int sequences, int seconds, int maxTokens)
    {
        var before = service.Scheduler.Counters;
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        Stopwatch sw = Stopwatch.StartNew();
        long tokens = 0;
        int seed = 0;
        int[] prompt = service.EncodeChat([Cria.Text.ChatMessage.User("Tell me a story about a cat.")]);
        await Task.WhenAll(Enumerable.Range(0, sequences).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                var request = service.BuildRequest(prompt, new GenerationParameters { MaxTokens = maxTokens, Temperature = 0.8f, Seed = Interlocked.Increment(ref seed) }, chat: true);
                var g = service.Submit(request, default);
                await foreach (var _ in g.Tokens.ReadAllAsync()) { }
                Interlocked.Add(ref tokens, (await g.Completion).GeneratedTokens);
            }
        })));
        var after = service.Scheduler.Counters;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {sequences} sequences: prefill {after.PrefillSeconds - before.PrefillSeconds:F2} s, sampling {after.SampleSeconds - before.SampleSeconds:F2} s, forward {after.ForwardSeconds - before.ForwardSeconds:F2} s of {sw.Elapsed.TotalSeconds:F2} s; {after.DecodeSteps - before.DecodeSteps} steps; {tokens / (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds:F1} tokens per CPU second"));
        return tokens / sw.Elapsed.TotalSeconds;
    }

    private static async Task<(double TokensPerSecond, Tally Tally)> Phase(HttpClient http, int clients, int seconds, int maxTokens)
    {
        Tally tally = new();
        TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        Stopwatch sw = Stopwatch.StartNew();
        TimeSpan until = TimeSpan.FromSeconds(seconds);
        int seed = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (sw.Elapsed < until) await OneStream(http, Interlocked.Increment(ref seed), maxTokens, tally);
        })));
        // Other processes on a shared machine steal wall time; tokens per CPU second of this process (server and
        // clients together) is the figure that load does not distort.
        double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        if (seconds > 2)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clients} client(s): {tally.Tokens / Math.Max(cpu, 1e-9):F1} tokens per CPU second ({cpu:F1} CPU s in {sw.Elapsed.TotalSeconds:F1} s)"));
        return (tally.Tokens / sw.Elapsed.TotalSeconds, tally);
    }

    private static async Task OneStream(HttpClient http, int seed, int maxTokens, Tally tally)
    {
        string body = JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = "Tell me a story about a cat." } },
            stream = true,
            stream_options = new { include_usage = true },
            max_tokens = maxTokens,
            temperature = 0.8,
            seed,
        });
        try
        {
            using HttpRequestMessage req = new(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using HttpResponseMessage r = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            if (!r.IsSuccessStatusCode)
            {
                tally.Fail($"HTTP {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
                return;
            }
            using StreamReader reader = new(await r.Content.ReadAsStreamAsync());
            int finishes = 0, tokens = -1;
            bool done = false;
            string? line;
            while ((line = await reader.ReadLineAsync()) != null)
            {
                if (line.Length == 0) continue;
                if (done || !line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    tally.Fail($"unexpected line '{line}'");
                    return;
                }
                string data = line[6..];
                if (data == "[DONE]")
                {
                    done = true;
                    continue;
                }
                using JsonDocument doc = JsonDocument.Parse(data);
                if (doc.RootElement.TryGetProperty("usage", out JsonElement u) && u.ValueKind == JsonValueKind.Object)
                    tokens = u.GetProperty("completion_tokens").GetInt32();
                foreach (JsonElement ch in doc.RootElement.GetProperty("choices").EnumerateArray())
                    if (ch.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finishes++;
            }
            if (!done || finishes != 1 || tokens < 0)
            {
                tally.Fail($"malformed stream: done={done}, finish_reasons={finishes}, usage={tokens}");
                return;
            }
            Interlocked.Add(ref tally.Tokens, tokens);
            Interlocked.Increment(ref tally.Streams);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            tally.Fail(e.GetType().Name + ": " + e.Message);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cria.Server;

namespace Cria.Tests.Serving;

/// <summary>Raw HTTP against the real server: bad requests, auth, back-pressure, disconnects, metrics, the page.</summary>
public class HttpApiTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";

    public static TheoryData<string, string, int, string?, string> BadRequests => new()
    {
        // path, body, status, param, words the message must contain
        { Chat, "{\"messages\": [", 400, null, "not valid JSON" },
        { Chat, "[1, 2]", 400, null, "must be a JSON object" },
        { Chat, "", 400, null, "not valid JSON" },
        { Chat, "{}", 400, "messages", "'messages' is required" },
        { Chat, "{\"messages\": \"hi\"}", 400, "messages", "must be an array" },
        { Chat, "{\"messages\": []}", 400, "messages", "at least one message" },
        { Chat, "{\"messages\": [42]}", 400, "messages[0]", "must be an object" },
        { Chat, "{\"messages\": [{\"content\": \"hi\"}]}", 400, "messages[0].role", "is required" },
        { Chat, "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", 400, "messages[0].role", "'wizard'" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", 400, "messages[0].content", "must be a string or an array" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}", 400, "messages[0].content[0].type", "not supported" },
        { Chat, "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, "model", "'gpt-4o' does not exist" },
        { Chat, "{\"model\": 7, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "model", "must be a string" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": \"ten\"}", 400, "max_tokens", "must be an integer" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2.5}", 400, "max_tokens", "must be an integer" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 0}", 400, "max_tokens", "at least 1" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 100000}", 400, "max_tokens", "maximum context length is 512" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": 1e9}", 400, "max_completion_tokens", "maximum context length" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 3}", 400, "temperature", "between 0 and 2" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", 400, "temperature", "must be a number" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 0}", 400, "top_p", "greater than 0" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}", 400, "n", "must be 1" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}", 400, "stream", "must be a boolean" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": 3}", 400, "stop", "a string or an array of strings" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"a\", 1]}", 400, "stop[1]", "must be a string" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "stop", "at most 4" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"seed\": \"x\"}", 400, "seed", "must be an integer" },
        { Chat, "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream_options\": 1}", 400, "stream_options", "must be an object" },
        { Completions, "{}", 400, "prompt", "'prompt' is required" },
        { Completions, "{\"prompt\": {\"a\": 1}}", 400, "prompt", "must be a string" },
        { Completions, "{\"prompt\": [\"a\", \"b\"]}", 400, "prompt", "exactly one string" },
        { Completions, "{\"prompt\": \"" + string.Concat(Enumerable.Repeat("Once upon a time ", 200)) + "\"}", 400, "prompt", "maximum context length is 512" },
        { "/v1/embeddings", "{}", 404, null, "No route" },
    };

    [SkippableTheory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_requests_get_an_OpenAI_error_naming_the_problem(string path, string body, int status, string? param, string words)
    {
        var (service, _, http) = fx.Require();
        long before = service.Scheduler.Counters.Submitted;
        using HttpResponseMessage r = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        string text = await r.Content.ReadAsStringAsync();
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        using JsonDocument doc = JsonDocument.Parse(text);
        JsonElement error = doc.RootElement.GetProperty("error");
        Assert.Contains(words, error.GetProperty("message").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(status == 404 ? "not_found_error" : "invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(before, service.Scheduler.Counters.Submitted);
    }

    [SkippableFact]
    public async Task With_an_api_key_requests_without_it_get_401_and_nothing_runs()
    {
        var (service, _, _) = fx.Require();
        await using CriaServer secured = await CriaServer.StartAsync(service, "127.0.0.1", 0, apiKey: "s3cret");
        using HttpClient http = new() { BaseAddress = secured.Address };
        long before = service.Scheduler.Counters.Submitted;
        const string Body = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}";

        foreach (string? key in new[] { null, "wrong", "s3cret " + "x" })
        {
            using HttpRequestMessage req = new(HttpMethod.Post, Chat) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
            if (key != null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using HttpResponseMessage r = await http.SendAsync(req);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal("invalid_api_key", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Equal(before, service.Scheduler.Counters.Submitted);

        using HttpRequestMessage ok = new(HttpMethod.Post, Chat) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        ok.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using HttpResponseMessage accepted = await http.SendAsync(ok);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
    }

    [SkippableFact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        fx.Require();
        using CriaService busy = ServerFixture.Load(parallel: 1, queueLimit: 0);
        await using CriaServer server = await CriaServer.StartAsync(busy, "127.0.0.1", 0, apiKey: null);
        using HttpClient http = new() { BaseAddress = server.Address };
        const string Long = "{\"prompt\": \"Once\", \"max_tokens\": 500, \"ignore_eos\": true, \"stream\": true}";
        using HttpResponseMessage first = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, Completions) { Content = new StringContent(Long) }, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using HttpResponseMessage second = await http.PostAsync(Completions, new StringContent(Long));
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("1", second.Headers.GetValues("Retry-After").Single());
        Assert.Contains("busy", await second.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_client_that_disconnects_mid_stream_frees_its_slot()
    {
        var (service, server, http) = fx.Require();
        long cancelledBefore = service.Scheduler.Counters.Cancelled;
        // A raw socket, because HttpClient drains an unfinished response to reuse the connection instead of closing it.
        using (System.Net.Sockets.TcpClient tcp = new())
        {
            await tcp.ConnectAsync(server.Address.Host, server.Address.Port);
            System.Net.Sockets.NetworkStream net = tcp.GetStream();
            string json = "{\"prompt\": \"Once\", \"max_tokens\": 500, \"ignore_eos\": true, \"stream\": true}";
            string head = $"POST {Completions} HTTP/1.1\r\nHost: {server.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n";
            await net.WriteAsync(Encoding.ASCII.GetBytes(head + json));
            StreamReader reader = new(net);
            for (int events = 0; events < 3;)
                if ((await reader.ReadLineAsync())!.StartsWith("data: ", StringComparison.Ordinal)) events++;
        } // closes the connection mid-stream

        for (int i = 0; i < 200 && service.Scheduler.Counters.Cancelled == cancelledBefore; i++) await Task.Delay(25);
        string metrics = await http.GetStringAsync("/metrics");
        Assert.Equal(cancelledBefore + 1, service.Scheduler.Counters.Cancelled);
        Assert.Contains($"cria_generation_cancelled_total {cancelledBefore + 1}\n", metrics);
        Assert.Contains("cria_slots_active 0\n", metrics);
    }

    [SkippableFact]
    public async Task Streams_are_well_formed_and_end_with_done()
    {
        var (_, _, http) = fx.Require();
        string body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 12, \"stream\": true, \"stream_options\": {\"include_usage\": true}, \"temperature\": 0}";
        using HttpResponseMessage r = await http.PostAsync(Chat, new StringContent(body));
        Assert.Equal("text/event-stream", r.Content.Headers.ContentType?.MediaType);
        string[] events = (await r.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        using JsonDocument usage = JsonDocument.Parse(events[^2][6..]);
        Assert.Equal(12, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        using JsonDocument last = JsonDocument.Parse(events[^3][6..]);
        Assert.Equal("length", last.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("chat.completion.chunk", last.RootElement.GetProperty("object").GetString());
    }

    [SkippableFact]
    public async Task Metrics_health_and_page_are_served()
    {
        var (_, _, http) = fx.Require();
        await http.PostAsync(Chat, new StringContent("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3}"));
        string metrics = await http.GetStringAsync("/metrics");
        foreach (string name in new[] { "cria_http_requests_total{path=\"/v1/chat/completions\",status=\"200\"}", "cria_generated_tokens_total", "cria_tokens_per_second", "cria_queue_length 0", "cria_slots_total 4" })
            Assert.Contains(name, metrics);
        using JsonDocument health = JsonDocument.Parse(await http.GetStringAsync("/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        string page = await http.GetStringAsync("/");
        Assert.Contains("<script src=\"/chat.js\">", page);
        Assert.Contains("/v1/chat/completions", await http.GetStringAsync("/chat.js"));
    }
}

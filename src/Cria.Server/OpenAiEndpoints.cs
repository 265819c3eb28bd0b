using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Generation;
using Cria.Text;
using Microsoft.AspNetCore.Http;

namespace Cria.Server;

/// <summary>POST /v1/chat/completions and /v1/completions, GET /v1/models: OpenAI's request and response shapes.</summary>
internal static class OpenAiEndpoints
{
    // Only the characters JSON requires are escaped: apostrophes and non-ASCII text stay readable.
    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task ChatCompletions(HttpContext http, CriaService service)
    {
        var (doc, json) = await RequestJson.ReadAsync(http.Request, http.RequestAborted);
        using (doc)
        {
            service.CheckModel(json.String("model"));
            List<ChatMessage> messages = ReadMessages(json.Root);
            GenerationParameters p = json.Parameters(chat: true);
            bool stream = json.Bool("stream", false);
            bool usageChunk = json.IncludeUsageInStream();
            GenerationRequest request = service.BuildRequest(service.EncodeChat(messages), p, chat: true);
            await Respond(http, service, request, stream, usageChunk, chat: true);
        }
    }

    public static async Task Completions(HttpContext http, CriaService service)
    {
        var (doc, json) = await RequestJson.ReadAsync(http.Request, http.RequestAborted);
        using (doc)
        {
            service.CheckModel(json.String("model"));
            string prompt = ReadPrompt(json.Root);
            GenerationParameters p = json.Parameters(chat: false);
            // The legacy endpoint defaults to 16 tokens, as OpenAI's does.
            if (p.MaxTokens == null) p = p with { MaxTokens = Math.Min(16, Math.Max(1, service.ContextLength - 1)) };
            bool stream = json.Bool("stream", false);
            bool usageChunk = json.IncludeUsageInStream();
            if (json.Bool("echo", false)) throw ApiException.BadRequest("'echo' is not supported", "echo");
            GenerationRequest request = service.BuildRequest(service.EncodeCompletion(prompt), p, chat: false);
            await Respond(http, service, request, stream, usageChunk, chat: false);
        }
    }

    public static Task Models(HttpContext http, CriaService service)
    {
        JsonObject body = new()
        {
            ["object"] = "list",
            ["data"] = new JsonArray(ModelObject(service)),
        };
        return WriteJson(http, 200, body);
    }

    public static JsonObject ModelObject(CriaService service) => new()
    {
        ["id"] = service.ModelId,
        ["object"] = "model",
        ["created"] = service.Created.ToUnixTimeSeconds(),
        ["owned_by"] = "cria",
        ["context_length"] = service.ContextLength,
    };

    private static List<ChatMessage> ReadMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out JsonElement arr) || arr.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'messages' is required", "messages");
        if (arr.ValueKind != JsonValueKind.Array) throw RequestJson.WrongType("messages", "an array", arr);
        List<ChatMessage> messages = new();
        int i = 0;
        foreach (JsonElement m in arr.EnumerateArray())
        {
            string at = $"messages[{i}]";
            if (m.ValueKind != JsonValueKind.Object) throw RequestJson.WrongType(at, "an object", m);
            RequestJson mj = new(m);
            string role = mj.String("role") ?? throw ApiException.BadRequest($"'{at}.role' is required", $"{at}.role");
            role = role switch
            {
                "system" or "developer" => "system",
                "user" or "assistant" => role,
                _ => throw ApiException.BadRequest($"'{at}.role' must be system, developer, user or assistant, got '{role}'", $"{at}.role"),
            };
            messages.Add(new ChatMessage(role, ReadContent(m, at)));
            i++;
        }
        if (messages.Count == 0) throw ApiException.BadRequest("'messages' must contain at least one message", "messages");
        return messages;
    }

    /// <summary>Content is a string or an array of text parts; other part types (images, audio) are refused.</summary>
    private static string ReadContent(JsonElement m, string at)
    {
        if (!m.TryGetProperty("content", out JsonElement c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw RequestJson.WrongType($"{at}.content", "a string or an array of content parts", c);
        StringBuilder sb = new();
        int j = 0;
        foreach (JsonElement part in c.EnumerateArray())
        {
            string pat = $"{at}.content[{j}]";
            if (part.ValueKind != JsonValueKind.Object) throw RequestJson.WrongType(pat, "an object", part);
            RequestJson pj = new(part);
            string type = pj.String("type") ?? throw ApiException.BadRequest($"'{pat}.type' is required", $"{pat}.type");
            if (type != "text") throw ApiException.BadRequest($"'{pat}.type' '{type}' is not supported: this model reads text only", $"{pat}.type");
            sb.Append(pj.String("text") ?? throw ApiException.BadRequest($"'{pat}.text' is required", $"{pat}.text"));
            j++;
        }
        return sb.ToString();
    }

    private static string ReadPrompt(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out JsonElement p) || p.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'prompt' is required", "prompt");
        if (p.ValueKind == JsonValueKind.String) return p.GetString()!;
        if (p.ValueKind == JsonValueKind.Array && p.GetArrayLength() == 1 && p[0].ValueKind == JsonValueKind.String) return p[0].GetString()!;
        if (p.ValueKind == JsonValueKind.Array)
            throw ApiException.BadRequest("'prompt' must be a string or an array of exactly one string (one choice per request)", "prompt");
        throw RequestJson.WrongType("prompt", "a string", p);
    }

    private static async Task Respond(HttpContext http, CriaService service, GenerationRequest request, bool stream, bool usageChunk, bool chat)
    {
        CancellationToken aborted = http.RequestAborted;
        ScheduledGeneration g = service.Submit(request, aborted);
        string id = (chat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string kind = chat ? "chat.completion" : "text_completion";
        if (!stream)
        {
            StringBuilder text = new();
            await foreach (GeneratedToken t in g.Tokens.ReadAllAsync(aborted)) text.Append(t.Text);
            GenerationStats stats = await g.Completion;
            JsonObject choice = chat
                ? new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text.ToString() }, ["logprobs"] = null, ["finish_reason"] = CriaService.FinishReasonText(stats.FinishReason) }
                : new JsonObject { ["index"] = 0, ["text"] = text.ToString(), ["logprobs"] = null, ["finish_reason"] = CriaService.FinishReasonText(stats.FinishReason) };
            JsonObject response = new()
            {
                ["id"] = id,
                ["object"] = kind,
                ["created"] = created,
                ["model"] = service.ModelId,
                ["choices"] = new JsonArray(choice),
                ["usage"] = Usage(stats),
            };
            await WriteJson(http, 200, response);
            return;
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        string chunkKind = chat ? "chat.completion.chunk" : "text_completion";
        JsonObject Chunk(JsonObject? delta, string? text, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = chunkKind,
            ["created"] = created,
            ["model"] = service.ModelId,
            ["choices"] = new JsonArray(chat
                ? new JsonObject { ["index"] = 0, ["delta"] = delta ?? new JsonObject(), ["logprobs"] = null, ["finish_reason"] = finish }
                : new JsonObject { ["index"] = 0, ["text"] = text ?? "", ["logprobs"] = null, ["finish_reason"] = finish }),
        };

        Stream body = http.Response.Body;
        if (chat) await WriteEvent(body, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null, null), aborted);
        await http.Response.Body.FlushAsync(aborted);
        try
        {
            // Content chunks differ only in their text: serialize the frame once and splice each text in.
            const string Marker = "\u0001cria-text\u0001";
            string frame = (chat ? Chunk(new JsonObject { ["content"] = Marker }, null, null) : Chunk(null, Marker, null)).ToJsonString(JsonOut);
            string quoted = JsonSerializer.Serialize(Marker, JsonOut);
            int at = frame.IndexOf(quoted, StringComparison.Ordinal);
            string prefix = "data: " + frame[..at], suffix = frame[(at + quoted.Length)..] + "\n\n";
            StringBuilder pending = new();
            while (await g.Tokens.WaitToReadAsync(aborted))
            {
                // Everything already generated goes out in one write and one flush.
                pending.Clear();
                while (g.Tokens.TryRead(out GeneratedToken t))
                    if (t.Text.Length > 0) pending.Append(prefix).Append(JsonSerializer.Serialize(t.Text, JsonOut)).Append(suffix);
                if (pending.Length == 0) continue;
                await body.WriteAsync(Encoding.UTF8.GetBytes(pending.ToString()), aborted);
                await body.FlushAsync(aborted);
            }
            GenerationStats stats = await g.Completion;
            string finish = CriaService.FinishReasonText(stats.FinishReason);
            await WriteEvent(body, chat ? Chunk(new JsonObject(), null, finish) : Chunk(null, "", finish), aborted);
            if (usageChunk)
            {
                JsonObject u = Chunk(null, null, null);
                u["choices"] = new JsonArray();
                u["usage"] = Usage(stats);
                await WriteEvent(body, u, aborted);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are gone already: the error travels as an event, and the stream still ends properly.
            JsonObject error = ErrorBody(new ApiException(500, "generation failed: " + e.Message));
            await WriteEvent(body, error, aborted);
        }
        await body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), aborted);
        await body.FlushAsync(aborted);
    }

    private static JsonObject Usage(GenerationStats s) => new()
    {
        ["prompt_tokens"] = s.PromptTokens,
        ["completion_tokens"] = s.GeneratedTokens,
        ["total_tokens"] = s.PromptTokens + s.GeneratedTokens,
    };

    private static async Task WriteEvent(Stream body, JsonObject data, CancellationToken cancel)
    {
        byte[] bytes = Encoding.UTF8.GetBytes("data: " + data.ToJsonString(JsonOut) + "\n\n");
        await body.WriteAsync(bytes, cancel);
    }

    public static JsonObject ErrorBody(ApiException e) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["param"] = e.Param,
            ["code"] = e.Code,
        },
    };

    public static async Task WriteJson(HttpContext http, int status, JsonNode body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(JsonOut), Encoding.UTF8);
    }
}

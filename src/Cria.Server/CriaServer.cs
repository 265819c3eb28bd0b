using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cria.Server;

/// <summary>
/// The HTTP front of a <see cref="CriaService"/>: Kestrel on the given address, OpenAI-compatible routes,
/// /health, /metrics and the chat page at /. Dispose to stop listening (the service stays the caller's).
/// </summary>
public sealed class CriaServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public CriaService Service { get; }
    public ServerMetrics Metrics { get; } = new();

    /// <summary>The address actually bound (port 0 becomes the port the system chose).</summary>
    public Uri Address { get; private set; } = null!;

    private CriaServer(WebApplication app, CriaService service)
    {
        _app = app;
        Service = service;
    }

    public static async Task<CriaServer> StartAsync(CriaService service, string host, int port, string? apiKey, CancellationToken cancel = default)
    {
        if (port < 0 || port > 65535) throw new ArgumentException($"--port must be between 0 and 65535, got {port}");
        IPAddress ip = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed
            : throw new ArgumentException($"--host must be an IP address (such as 127.0.0.1 or 0.0.0.0) or localhost, got '{host}'");

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Listen(ip, port);
            o.Limits.MaxRequestBodySize = 8 << 20;
            o.AddServerHeader = false;
        });
        WebApplication app = builder.Build();
        CriaServer server = new(app, service);
        server.Configure(apiKey);
        await app.StartAsync(cancel);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    private void Configure(string? apiKey)
    {
        byte[]? key = string.IsNullOrEmpty(apiKey) ? null : Encoding.UTF8.GetBytes(apiKey);
        _app.Use(async (http, next) =>
        {
            string path = http.Request.Path.Value ?? "/";
            try
            {
                // The page and the health check stay open, so a browser can load the page and ask for the key.
                if (key != null && (path.StartsWith("/v1", StringComparison.Ordinal) || path == "/metrics") && !Authorized(http, key))
                    throw new ApiException(401, "Incorrect or missing API key: send 'Authorization: Bearer <key>'", null, "invalid_api_key");
                await next(http);
            }
            catch (ApiException e) when (!http.Response.HasStarted)
            {
                if (e.Status == 429) http.Response.Headers.RetryAfter = "1";
                if (e.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
                await OpenAiEndpoints.WriteJson(http, e.Status, OpenAiEndpoints.ErrorBody(e));
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client went away; the scheduler has already been told through the same token.
            }
            catch (Exception e) when (!http.Response.HasStarted)
            {
                await OpenAiEndpoints.WriteJson(http, 500, OpenAiEndpoints.ErrorBody(new ApiException(500, "internal error: " + e.Message)));
            }
            finally
            {
                Metrics.CountRequest(RouteLabel(path), http.Response.StatusCode);
            }
        });

        CriaService s = Service;
        _app.MapPost("/v1/chat/completions", http => OpenAiEndpoints.ChatCompletions(http, s));
        _app.MapPost("/v1/completions", http => OpenAiEndpoints.Completions(http, s));
        _app.MapGet("/v1/models", http => OpenAiEndpoints.Models(http, s));
        _app.MapGet("/v1/models/{id}", http =>
        {
            s.CheckModel((string?)http.Request.RouteValues["id"]);
            return OpenAiEndpoints.WriteJson(http, 200, OpenAiEndpoints.ModelObject(s));
        });
        _app.MapGet("/health", http => OpenAiEndpoints.WriteJson(http, 200, new System.Text.Json.Nodes.JsonObject
        {
            ["status"] = "ok",
            ["model"] = s.ModelId,
            ["slots_active"] = s.Scheduler.ActiveSlots,
            ["slots_total"] = s.Scheduler.Slots,
            ["queue_length"] = s.Scheduler.QueueLength,
        }));
        _app.MapGet("/metrics", async http =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await http.Response.WriteAsync(Metrics.Render(s.Scheduler));
        });
        _app.MapGet("/", http => StaticFile(http, "index.html", "text/html; charset=utf-8"));
        _app.MapGet("/chat.js", http => StaticFile(http, "chat.js", "text/javascript; charset=utf-8"));
        _app.MapGet("/chat.css", http => StaticFile(http, "chat.css", "text/css; charset=utf-8"));
        _app.MapFallback(http => throw new ApiException(404, $"No route for {http.Request.Method} {http.Request.Path}", null, "unknown_url"));
    }

    private static string RouteLabel(string path) => path switch
    {
        "/v1/chat/completions" or "/v1/completions" or "/v1/models" or "/health" or "/metrics" or "/" or "/chat.js" or "/chat.css" => path,
        _ when path.StartsWith("/v1/models/", StringComparison.Ordinal) => "/v1/models/{id}",
        _ => "other",
    };

    private static bool Authorized(HttpContext http, byte[] key)
    {
        string? header = http.Request.Headers.Authorization;
        if (header == null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        byte[] given = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, key);
    }

    private static async Task StaticFile(HttpContext http, string name, string contentType)
    {
        using Stream? s = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name);
        if (s == null) throw new ApiException(404, $"{name} is missing from this build", null, "unknown_url");
        http.Response.ContentType = contentType;
        http.Response.Headers.CacheControl = "no-cache";
        await s.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

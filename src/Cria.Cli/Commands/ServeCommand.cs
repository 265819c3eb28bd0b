using System.ComponentModel;
using Cria.Server;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class ServeSettings : ModelSettings
{
    [CommandOption("--host <ADDRESS>")]
    [Description("Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 exposes the server to the network).")]
    public string Host { get; set; } = "127.0.0.1";

    [CommandOption("--port <PORT>")]
    [Description("TCP port (default 8080; 0 picks a free one).")]
    public int Port { get; set; } = 8080;

    [CommandOption("--api-key <KEY>")]
    [Description("Require 'Authorization: Bearer KEY' on /v1 and /metrics (default: $CRIA_API_KEY, else no key).")]
    public string? ApiKey { get; set; }

    [CommandOption("--parallel <N>")]
    [Description("Sequences generated at once, batched into one forward pass per step (default 4).")]
    public int Parallel { get; set; } = 4;

    [CommandOption("--queue <N>")]
    [Description("Requests that may wait for a slot before the server answers 429 (default 64).")]
    public int Queue { get; set; } = 64;

    [CommandOption("--template <NAME>")]
    [Description("Chat format: llama2, llama3, chatml or zephyr (default: the model's own, when Cria recognizes it).")]
    public string? Template { get; set; }

    [CommandOption("--alias <NAME>")]
    [Description("Model name clients send in \"model\" (default: the file or folder name).")]
    public string? Alias { get; set; }
}

/// <summary>`cria serve`: an OpenAI-compatible HTTP server with a chat page, until Ctrl+C.</summary>
public sealed class ServeCommand : AsyncCommand<ServeSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ServeSettings settings, CancellationToken cancellationToken)
    {
        settings.ApplyThreads();
        string? key = settings.ApiKey ?? Environment.GetEnvironmentVariable("CRIA_API_KEY");
        ServerOptions options = new()
        {
            ModelPath = settings.Model,
            TokenizerPath = settings.Tokenizer,
            Host = settings.Host,
            Port = settings.Port,
            ApiKey = string.IsNullOrEmpty(key) ? null : key,
            Parallel = settings.Parallel,
            Context = settings.Context,
            Template = settings.Template,
            QueueLimit = settings.Queue,
            ModelId = settings.Alias,
        };
        using CriaService service = CriaService.Load(options);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await using CriaServer server = await CriaServer.StartAsync(service, options.Host, options.Port, options.ApiKey, stop.Token);
            Console.Error.WriteLine($"serving {service.ModelId} ({service.Template.Name} template, {service.Scheduler.Slots} slots × {service.ContextLength} context) at {server.Address}");
            Console.Error.WriteLine($"  chat page {server.Address}  ·  API {server.Address}v1  ·  metrics {server.Address}metrics{(options.ApiKey != null ? "  ·  API key required" : "")}");
            if (!server.Address.IsLoopback && options.ApiKey == null)
                Console.Error.WriteLine("warning: listening beyond this machine without an API key (set --api-key or CRIA_API_KEY)");
            // Ends on Ctrl+C or SIGTERM (the host's console lifetime) as well as on the command's own token.
            await server.WaitForShutdownAsync(stop.Token);
            Console.Error.WriteLine("stopping");
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        return 0;
    }
}

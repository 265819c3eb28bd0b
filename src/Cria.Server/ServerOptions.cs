namespace Cria.Server;

/// <summary>What `cria serve` was asked for.</summary>
public sealed record ServerOptions
{
    public required string ModelPath { get; init; }
    public string? TokenizerPath { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    public string? ApiKey { get; init; }
    public int Parallel { get; init; } = 4;

    /// <summary>Context per slot (default: the model's trained context, at most 4096).</summary>
    public int? Context { get; init; }

    public string? Template { get; init; }

    /// <summary>Requests allowed to wait beyond the busy slots before the server answers 429.</summary>
    public int QueueLimit { get; init; } = 64;

    /// <summary>The name clients use in "model" (default: the model's file or folder name).</summary>
    public string? ModelId { get; init; }
}

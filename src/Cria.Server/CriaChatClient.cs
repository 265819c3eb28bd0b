using System.Runtime.CompilerServices;
using System.Text;
using Cria.Generation;
using Microsoft.Extensions.AI;
using AiMessage = Microsoft.Extensions.AI.ChatMessage;
using CriaMessage = Cria.Text.ChatMessage;

namespace Cria.Server;

/// <summary>
/// A Cria model as a Microsoft.Extensions.AI <see cref="IChatClient"/>, in process: messages go through the
/// same template, validation and <see cref="BatchScheduler"/> as the HTTP server, so concurrent callers are
/// batched together and get the same tokens the server would send.
/// </summary>
public sealed class CriaChatClient(CriaService service) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("cria", null, service.ModelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ScheduledGeneration g = Start(messages, options, cancellationToken);
        StringBuilder text = new();
        await foreach (GeneratedToken t in g.Tokens.ReadAllAsync(cancellationToken)) text.Append(t.Text);
        GenerationStats stats = await g.Completion;
        return new ChatResponse(new AiMessage(ChatRole.Assistant, text.ToString()))
        {
            ModelId = service.ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            ResponseId = Guid.NewGuid().ToString("N"),
            FinishReason = Finish(stats.FinishReason),
            Usage = Usage(stats),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ScheduledGeneration g = Start(messages, options, cancellationToken);
        string id = Guid.NewGuid().ToString("N");
        await foreach (GeneratedToken t in g.Tokens.ReadAllAsync(cancellationToken))
            if (t.Text.Length > 0)
                yield return new ChatResponseUpdate(ChatRole.Assistant, t.Text) { ModelId = service.ModelId, ResponseId = id, MessageId = id };
        GenerationStats stats = await g.Completion;
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(stats))])
        {
            ModelId = service.ModelId,
            ResponseId = id,
            MessageId = id,
            FinishReason = Finish(stats.FinishReason),
        };
    }

    private ScheduledGeneration Start(IEnumerable<AiMessage> messages, ChatOptions? options, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(messages);
        try
        {
            service.CheckModel(options?.ModelId);
            List<CriaMessage> converted = messages.Select(m => new CriaMessage(Role(m.Role), m.Text)).ToList();
            GenerationParameters p = new()
            {
                MaxTokens = options?.MaxOutputTokens,
                Temperature = options?.Temperature,
                TopP = options?.TopP,
                TopK = options?.TopK,
                Seed = options?.Seed,
                Stop = options?.StopSequences?.ToArray() ?? [],
            };
            GenerationRequest request = service.BuildRequest(service.EncodeChat(converted), p, chat: true);
            return service.Submit(request, cancel);
        }
        catch (ApiException e)
        {
            // In process there is no HTTP status: bad input is an ArgumentException, as elsewhere in Cria.
            if (e.Status == 429) throw new InvalidOperationException(e.Message, e);
            throw new ArgumentException(e.Message, e.Param ?? nameof(messages), e);
        }
    }

    private static string Role(ChatRole role)
    {
        if (role == ChatRole.System) return "system";
        if (role == ChatRole.User) return "user";
        if (role == ChatRole.Assistant) return "assistant";
        throw new ArgumentException($"role '{role}' is not supported (system, user and assistant are)", nameof(role));
    }

    private static ChatFinishReason? Finish(FinishReason r) => r switch
    {
        FinishReason.EndOfSequence or FinishReason.StopString => ChatFinishReason.Stop,
        FinishReason.Length or FinishReason.ContextFull => ChatFinishReason.Length,
        _ => null,
    };

    private static UsageDetails Usage(GenerationStats s) => new()
    {
        InputTokenCount = s.PromptTokens,
        OutputTokenCount = s.GeneratedTokens,
        TotalTokenCount = s.PromptTokens + s.GeneratedTokens,
    };

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey != null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(CriaService)) return service;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>The service is shared and owned by whoever created it.</summary>
    public void Dispose() { }
}

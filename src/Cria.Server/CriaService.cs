using Cria.Formats;
using Cria.Generation;
using Cria.Hub;
using Cria.Model;
using Cria.Text;

namespace Cria.Server;

/// <summary>
/// One loaded model behind a <see cref="BatchScheduler"/>: turns chat messages or a completion prompt into a
/// validated <see cref="GenerationRequest"/> and queues it. Shared by the HTTP endpoints and
/// <see cref="CriaChatClient"/>, so both produce the same tokens for the same input.
/// </summary>
public sealed class CriaService : IDisposable
{
    private readonly LoadedModel _loaded;
    private readonly LlamaModel _model;
    private readonly int? _endOfTurnId;

    public string ModelId { get; }
    public ITokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    public BatchScheduler Scheduler { get; }
    public int ContextLength => Scheduler.ContextLength;
    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    public CriaService(LoadedModel loaded, ChatTemplate template, int parallel, int contextLength, int queueLimit, string? modelId = null)
    {
        _loaded = loaded;
        Tokenizer = loaded.Tokenizer ?? throw new ArgumentException($"{loaded.Path}: no tokenizer found beside the model; give one with --tokenizer");
        Template = template;
        ModelId = modelId ?? DefaultModelId(loaded.Path);
        _endOfTurnId = Tokenizer.PieceToId(template.EndOfTurn) is int id and >= 0 ? id : null;
        _model = new LlamaModel(loaded);
        Scheduler = new BatchScheduler(_model, Tokenizer, parallel, contextLength, queueLimit);
    }

    /// <summary>Loads the model named in <paramref name="o"/> and starts its scheduler.</summary>
    public static CriaService Load(ServerOptions o)
    {
        if (o.Parallel < 1 || o.Parallel > 256) throw new ArgumentException($"--parallel must be between 1 and 256, got {o.Parallel}");
        if (o.Context is < 2) throw new ArgumentException($"--ctx must be at least 2, got {o.Context}");
        if (o.QueueLimit < 0) throw new ArgumentException($"the queue limit must be ≥ 0, got {o.QueueLimit}");
        LoadedModel m = ModelLoader.Load(o.ModelPath, o.TokenizerPath);
        try
        {
            ChatTemplate template = ResolveTemplate(o.Template, m.ChatTemplate);
            int ctx = o.Context ?? Math.Min(m.Config.MaxSeqLen, 4096);
            return new CriaService(m, template, o.Parallel, ctx, o.QueueLimit, o.ModelId);
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    public static ChatTemplate ResolveTemplate(string? name, string? modelTemplate)
    {
        if (name != null) return ChatTemplate.ByName(name);
        if (modelTemplate is null)
            throw new ArgumentException("the model has no chat template; choose one with --template (llama2, llama3, chatml, zephyr)");
        return ChatTemplate.Detect(modelTemplate)
            ?? throw new ArgumentException("the model's chat_template is not one Cria recognizes; choose one with --template (llama2, llama3, chatml, zephyr)");
    }

    private static string DefaultModelId(string path)
    {
        // A model pulled into the Hugging Face cache is known by its repository name, not its snapshot's commit hash.
        if (HubCache.RepoIdOf(path) is string repoId) return repoId;
        string name = Path.GetFileName(path.TrimEnd('/', '\\'));
        string ext = Path.GetExtension(name);
        return ext is ".gguf" or ".bin" ? name[..^ext.Length] : name;
    }

    /// <summary>404 unless <paramref name="model"/> names the served model (a missing name means this one).</summary>
    public void CheckModel(string? model)
    {
        if (model != null && model != ModelId)
            throw new ApiException(404, $"The model '{model}' does not exist; this server serves '{ModelId}'", "model", "model_not_found");
    }

    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0) throw ApiException.BadRequest("'messages' must contain at least one message", "messages");
        string rendered;
        try
        {
            rendered = Template.Render(messages, addGenerationPrompt: true);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest($"the {Template.Name} chat template cannot render these messages: {e.Message}", "messages");
        }
        return Tokenizer.Encode(rendered, addBos: Tokenizer.AddBos && !Template.RendersBos, parseSpecial: true);
    }

    /// <summary>Encodes a completion prompt exactly as `cria generate -p` does.</summary>
    public int[] EncodeCompletion(string prompt)
    {
        int[] ids = Tokenizer.Encode(prompt, addBos: Tokenizer.AddBos || prompt.Length == 0);
        if (ids.Length == 0) throw ApiException.BadRequest("the prompt is empty and the tokenizer has no BOS token to start from", "prompt");
        return ids;
    }

    /// <summary>Builds a request and checks it against the context; <paramref name="chat"/> adds the template's end of turn as a stop.</summary>
    public GenerationRequest BuildRequest(int[] promptIds, GenerationParameters p, bool chat)
    {
        int ctx = ContextLength;
        if (promptIds.Length >= ctx)
            throw ApiException.BadRequest($"This model's maximum context length is {ctx} tokens, but the prompt has {promptIds.Length} tokens, leaving no room to generate", chat ? "messages" : "prompt", "context_length_exceeded");
        if (p.MaxTokens is int max)
        {
            string field = p.MaxTokensField;
            if (max < 1) throw ApiException.BadRequest($"'{field}' must be at least 1, got {max}", field);
            if (promptIds.Length + max > ctx)
                throw ApiException.BadRequest($"This model's maximum context length is {ctx} tokens. However, you requested {promptIds.Length + max} tokens ({promptIds.Length} in the prompt, {max} in the completion)", field, "context_length_exceeded");
        }
        if (p.Stop.Count > 4) throw ApiException.BadRequest($"'stop' may hold at most 4 sequences, got {p.Stop.Count}", "stop");

        SamplingOptions defaults = new();
        GenerationDefaults d = _loaded.Defaults;
        SamplingOptions sampling = new()
        {
            Temperature = p.Temperature ?? (d.DoSample == false ? 0f : d.Temperature ?? defaults.Temperature),
            TopK = p.TopK ?? d.TopK ?? defaults.TopK,
            TopP = p.TopP ?? d.TopP ?? defaults.TopP,
            MinP = p.MinP ?? defaults.MinP,
            RepeatPenalty = p.RepeatPenalty ?? d.RepetitionPenalty ?? defaults.RepeatPenalty,
            Seed = p.Seed is long s ? unchecked((ulong)s) : (ulong)Random.Shared.NextInt64(),
        };
        try
        {
            sampling.Validate();
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message);
        }

        List<string> stops = [.. p.Stop];
        if (chat) stops.Add(Template.EndOfTurn);
        return new GenerationRequest
        {
            PromptIds = promptIds,
            MaxNewTokens = p.MaxTokens ?? ctx - promptIds.Length,
            Sampling = sampling,
            StopStrings = stops,
            StopIds = chat && _endOfTurnId is int eot ? [eot] : [],
            StopAtEos = !p.IgnoreEos,
        };
    }

    /// <summary>Queues a request; a full queue becomes 429.</summary>
    public ScheduledGeneration Submit(GenerationRequest request, CancellationToken cancel)
    {
        try
        {
            return Scheduler.Submit(request, cancel);
        }
        catch (QueueFullException e)
        {
            throw new ApiException(429, e.Message, null, "queue_full");
        }
    }

    public static string FinishReasonText(FinishReason r) => r switch
    {
        FinishReason.EndOfSequence or FinishReason.StopString => "stop",
        FinishReason.Length or FinishReason.ContextFull => "length",
        _ => "cancelled",
    };

    public void Dispose()
    {
        Scheduler.Dispose();
        _model.Dispose();
        _loaded.Dispose();
    }
}

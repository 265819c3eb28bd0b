using System.ComponentModel;
using System.Globalization;
using System.Text;
using Cria.Generation;
using Cria.Hub;
using Cria.Model;
using Cria.Text;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class ChatSettings : SamplingSettings
{
    [CommandOption("--system <TEXT>")]
    [Description("System prompt.")]
    public string? System { get; set; }

    [CommandOption("--template <NAME>")]
    [Description("Chat format: llama2, llama3, chatml or zephyr (default: the model's own, when Cria recognizes it).")]
    public string? Template { get; set; }
}

/// <summary>
/// Interactive chat on stdin/stdout. Each turn re-renders the conversation with the template and feeds only
/// the tokens that differ from what the KV cache already holds, so earlier turns are not recomputed.
/// Commands: /reset starts over, /exit (or end of input) quits.
/// </summary>
public sealed class ChatCommand : Command<ChatSettings>
{
    public override int Execute(CommandContext context, ChatSettings settings, CancellationToken cancellationToken)
    {
        using LoadedModel m = settings.Open();
        ITokenizer tokenizer = m.Tokenizer!;
        ChatTemplate template = ResolveTemplate(settings.Template, m.ChatTemplate);
        int? endOfTurnId = tokenizer.PieceToId(template.EndOfTurn) is int id and >= 0 ? id : null;

        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(settings.ContextFor(m));
        Generator generator = new(model, tokenizer, cache);
        SamplingOptions sampling = settings.Sampling(m.Defaults);
        int maxTokens = settings.MaxNewTokens(m.Defaults, 512);

        List<ChatMessage> messages = new();
        if (!string.IsNullOrEmpty(settings.System)) messages.Add(ChatMessage.System(settings.System));
        bool interactive = !Console.IsInputRedirected;
        Console.Error.WriteLine($"chat with {HubCache.RepoIdOf(m.Path) ?? Path.GetFileName(m.Path.TrimEnd('/'))} ({template.Name} template, context {cache.Capacity}). /reset to start over, /exit to quit.");

        using StreamWriter stdout = new(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        while (true)
        {
            if (interactive) Console.Error.Write("> ");
            string? line = Console.In.ReadLine();
            if (line is null || line.Trim() is "/exit" or "/quit") break;
            if (line.Trim() == "/reset")
            {
                messages.RemoveAll(x => x.Role != "system");
                cache.Truncate(0);
                generator.History.Clear();
                Console.Error.WriteLine("(conversation cleared)");
                continue;
            }
            if (line.Length == 0) continue;

            messages.Add(ChatMessage.User(line));
            string rendered = template.Render(messages, addGenerationPrompt: true);
            int[] ids = tokenizer.Encode(rendered, addBos: tokenizer.AddBos && !template.RendersBos, parseSpecial: true);

            int reused = CommonPrefix(generator.History, ids);
            if (reused == ids.Length) reused--; // at least one token must be fed to get fresh logits
            cache.Truncate(reused);
            generator.History.RemoveRange(reused, generator.History.Count - reused);
            int[] fresh = ids[reused..];
            if (cache.Length + fresh.Length >= cache.Capacity)
                throw new InvalidOperationException($"the conversation ({ids.Length} tokens) no longer fits the context of {cache.Capacity}; use /reset or a larger --ctx");

            GenerationRequest request = new()
            {
                PromptIds = fresh,
                MaxNewTokens = Math.Min(maxTokens, cache.Capacity - cache.Length - fresh.Length),
                Sampling = sampling with { Seed = sampling.Seed + (ulong)messages.Count },
                StopStrings = [template.EndOfTurn],
                StopIds = endOfTurnId is int eot ? [eot] : [],
            };
            GenerationStats stats = new();
            StringBuilder reply = new();
            foreach (GeneratedToken t in generator.Generate(request, stats, cancellationToken))
            {
                stdout.Write(t.Text);
                reply.Append(t.Text);
            }
            stdout.Write('\n');
            messages.Add(ChatMessage.Assistant(reply.ToString().Trim()));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{fresh.Length} prompt tokens ({reused} reused from cache), {stats.GeneratedTokens} generated at {stats.GenerationTokensPerSecond:F1} tokens/s]"));
        }
        return 0;
    }

    internal static ChatTemplate ResolveTemplate(string? name, string? modelTemplate)
    {
        if (name != null) return ChatTemplate.ByName(name);
        if (modelTemplate is null)
            throw new ArgumentException("the model has no chat template; choose one with --template (llama2, llama3, chatml, zephyr)");
        return ChatTemplate.Detect(modelTemplate)
            ?? throw new ArgumentException("the model's chat_template is not one Cria recognizes; choose one with --template (llama2, llama3, chatml, zephyr)");
    }

    private static int CommonPrefix(List<int> a, int[] b)
    {
        int n = Math.Min(a.Count, b.Length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }
}

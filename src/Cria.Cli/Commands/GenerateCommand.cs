using System.ComponentModel;
using System.Globalization;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class GenerateSettings : SamplingSettings
{
    [CommandOption("-p|--prompt <TEXT>")]
    [Description("The prompt; empty starts from BOS alone.")]
    public string Prompt { get; set; } = "";

    [CommandOption("--ids-out <FILE>")]
    [Description("Write 'prompt_ids: …' and 'gen_ids: …' to this file.")]
    public string? IdsOut { get; set; }
}

public sealed class GenerateCommand : Command<GenerateSettings>
{
    public override int Execute(CommandContext context, GenerateSettings settings, CancellationToken cancellationToken)
    {
        using LoadedModel m = settings.Open();
        var tokenizer = m.Tokenizer!;
        int[] prompt = tokenizer.Encode(settings.Prompt, addBos: tokenizer.AddBos || settings.Prompt.Length == 0);
        if (prompt.Length == 0)
            throw new ArgumentException("the prompt is empty and the tokenizer has no BOS token to start from");

        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(settings.ContextFor(m));
        Generator generator = new(model, tokenizer, cache);
        GenerationRequest request = new()
        {
            PromptIds = prompt,
            MaxNewTokens = settings.MaxNewTokens(m.Defaults, 256),
            Sampling = settings.Sampling(m.Defaults),
            StopStrings = settings.Stop,
        };
        GenerationStats stats = new();
        using (Stream stdout = Console.OpenStandardOutput())
        using (StreamWriter writer = new(stdout, new System.Text.UTF8Encoding(false)) { AutoFlush = true })
        {
            foreach (GeneratedToken t in generator.Generate(request, stats, cancellationToken))
                if (t.Text.Length > 0) writer.Write(t.Text);
            writer.Write('\n');
        }

        if (settings.IdsOut != null)
        {
            string content = "prompt_ids: " + string.Join(' ', prompt) + "\ngen_ids: " + string.Join(' ', stats.GeneratedIds) + "\n";
            AtomicFile.WriteAllText(settings.IdsOut, content);
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prompt: {stats.PromptTokens} tokens, {stats.PromptTokensPerSecond:F1} tokens/s | generation: {stats.GeneratedTokens} tokens, {stats.GenerationTokensPerSecond:F1} tokens/s | stop: {stats.FinishReason}"));
        return 0;
    }
}

using System.Reflection;
using System.Text;
using Cria.Cli.Commands;
using Cria.Formats;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli;

/// <summary>The `cria` command line: one Spectre.Console.Cli command per verb, and one-line errors with exit code 1.</summary>
public static class CriaApp
{
    public static int Run(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        CommandApp app = new();
        app.Configure(config =>
        {
            config.SetApplicationName("cria");
            config.SetApplicationVersion(Version);
            config.PropagateExceptions();
            config.AddCommand<Demo.DemoCommand>("demo").WithDescription("The whole story offline: generate data, train a tokenizer and models, continue training, rank, talk to the result.");
            config.AddCommand<PullCommand>("pull").WithDescription("Download a model from the Hugging Face Hub (resumable, checksummed) into the shared cache; then use it by name.");
            config.AddCommand<InfoCommand>("info").WithDescription("Show a model's architecture, size, types, vocabulary and memory needs.");
            config.AddCommand<GenerateCommand>("generate").WithDescription("Generate text from a prompt (streamed to stdout).");
            config.AddCommand<ChatCommand>("chat").WithDescription("Chat with a model interactively.");
            config.AddCommand<TokenizeCommand>("tokenize").WithDescription("Print the token ids of a text.");
            config.AddCommand<ServeCommand>("serve").WithDescription("Serve a model over an OpenAI-compatible HTTP API, with a chat page at /.");
            config.AddCommand<EvalCommand>("eval").WithDescription("Evaluate a model on benchmark tasks as lm-evaluation-harness does; records the run in the leaderboard.");
            config.AddCommand<LeaderboardCommand>("leaderboard").WithDescription("Rank evaluated models (table, Markdown, HTML, JSON or PNG).");
            config.AddCommand<BenchCommand>("bench").WithDescription("Measure prompt-processing and generation tokens/s (llama-bench style), load time and resident memory.");
            config.AddCommand<ConvertCommand>("convert").WithDescription("Convert a model between GGUF, Hugging Face folder and llama2.c .bin (f32, f16, bf16; quantized types for GGUF).");
            config.AddCommand<QuantizeCommand>("quantize").WithDescription("Write any model as a GGUF whose matrices are Q8_0, Q4_0, Q4_K, Q6_K, F16 or BF16.");
            config.AddBranch("data", data =>
            {
                data.SetDescription("Prepare training data.");
                data.AddCommand<DataPrepareCommand>("prepare").WithDescription("Tokenize text or JSONL files into token shards for cria train.");
            });
            config.AddBranch("tokenizer", tok =>
            {
                tok.SetDescription("Train a tokenizer.");
                tok.AddCommand<TokenizerTrainCommand>("train").WithDescription("Learn a byte-level BPE tokenizer from text files (writes a Hugging Face tokenizer.json).");
            });
            config.AddCommand<TrainCommand>("train").WithDescription("Train a model from scratch or continue training a checkpoint.");
            config.AddCommand<LineageCommand>("lineage").WithDescription("Tell from the weights whether model B was built on model A, or rank a folder of models (--against).");
            config.AddCommand<LineageDisguiseCommand>("disguise").WithDescription("Write a function-preserving disguise of a model (norms folded, heads and MLP units permuted, residual stream rotated) to test lineage tools with.");
            config.AddCommand<LogitsCommand>("logits").WithDescription("Write raw float32 logits for a sequence of token ids.");
        });
        try
        {
            return app.Run(args);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("error: " + Describe(e));
            if (Environment.GetEnvironmentVariable("CRIA_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>The informational version (the package version, plus the commit it was built from when known).</summary>
    public static string Version { get; } =
        typeof(CriaApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CriaApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static string Describe(Exception e) => e switch
    {
        CriaFormatException f => f.Message,
        FileNotFoundException f => f.Message,
        DirectoryNotFoundException d => d.Message,
        UnauthorizedAccessException u => u.Message,
        IOException io => io.Message,
        CommandAppException c => c.Message,
        ArgumentException a => a.Message,
        InvalidOperationException i => i.Message,
        NotSupportedException n => n.Message,
        AggregateException { InnerExceptions.Count: 1 } agg => Describe(agg.InnerExceptions[0]),
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    /// <summary>Writes status lines to stderr so stdout carries only the requested output.</summary>
    public static IAnsiConsole Status { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });
}

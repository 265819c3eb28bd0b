using System.ComponentModel;
using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

/// <summary>Options shared by every command that opens a model.</summary>
public class ModelSettings : CommandSettings
{
    [CommandArgument(0, "<model>")]
    [Description("A .gguf or llama2.c .bin file, a Hugging Face folder (config.json + *.safetensors), or the org/name[@revision] of a model fetched with cria pull.")]
    public string Model { get; set; } = "";

    [CommandOption("--tokenizer <PATH>")]
    [Description("Tokenizer file or folder, when it is not beside the model.")]
    public string? Tokenizer { get; set; }

    [CommandOption("-t|--threads <N>")]
    [Description("Worker threads (default: all cores).")]
    public int? Threads { get; set; }

    [CommandOption("--ctx <N>")]
    [Description("Context length to allocate (default: the model's, at most 4096).")]
    public int? Context { get; set; }

    /// <summary>Sizes the shared worker pool from --threads, when given.</summary>
    public void ApplyThreads()
    {
        if (Threads is int t)
        {
            if (t < 1 || t > 1024) throw new ArgumentException($"--threads must be between 1 and 1024, got {t}");
            WorkerPool.ConfigureShared(t);
        }
    }

    public LoadedModel Open(bool requireTokenizer = true, bool loadTokenizer = true)
    {
        ApplyThreads();
        if (Context is < 1) throw new ArgumentException($"--ctx must be positive, got {Context}");
        LoadedModel m = ModelLoader.Load(Model, Tokenizer, loadTokenizer || requireTokenizer);
        if (requireTokenizer && m.Tokenizer is null)
        {
            m.Dispose();
            throw new ArgumentException($"{Model}: no tokenizer found beside the model; give one with --tokenizer");
        }
        return m;
    }

    /// <summary>
    /// The context to allocate: --ctx if given (beyond the trained length only with a warning, as llama.cpp
    /// allows), else the model's trained context capped at 4096.
    /// </summary>
    public int ContextFor(LoadedModel m)
    {
        if (Context is int ctx)
        {
            if (ctx > m.Config.MaxSeqLen)
                Console.Error.WriteLine($"warning: --ctx {ctx} exceeds the {m.Config.MaxSeqLen} positions the model was trained with");
            return ctx;
        }
        return Math.Min(m.Config.MaxSeqLen, 4096);
    }
}

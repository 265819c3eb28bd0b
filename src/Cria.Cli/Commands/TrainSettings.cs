using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class TrainSettings : CommandSettings
{
    [CommandOption("--from <MODEL>")]
    [Description("Continue training this checkpoint (.gguf, llama2.c .bin, Hugging Face folder, or a pulled model's org/name).")]
    public string? From { get; set; }

    [CommandOption("--config <CONFIG>")]
    [Description("Train from scratch: a Hugging Face config.json, or 260k, 15m, 42m, 110m (llama2.c's shapes).")]
    public string? Config { get; set; }

    [CommandOption("--resume <DIR>")]
    [Description("Continue an interrupted run from a checkpoint folder written by cria train.")]
    public string? Resume { get; set; }

    [CommandOption("--tokenizer <PATH>")]
    [Description("Tokenizer (file, folder or model); required with --config.")]
    public string? Tokenizer { get; set; }

    [CommandOption("--data <DIR>")]
    [Description("Token folder from `cria data prepare`.")]
    public string? Data { get; set; }

    [CommandOption("--steps <N>")]
    [Description("Optimizer steps (default 100); 0 writes the initialized or loaded model.")]
    public int? Steps { get; set; }

    public int TotalSteps => Steps ?? 100;

    [CommandOption("--batch <B>")]
    public int Batch { get; set; } = 8;

    [CommandOption("--seq <T>")]
    [Description("Tokens per row (default: min(256, the model's context)).")]
    public int? Seq { get; set; }

    [CommandOption("--grad-accum <G>")]
    public int GradAccum { get; set; } = 1;

    [CommandOption("--lr <LR>")]
    public float Lr { get; set; } = 5e-4f;

    [CommandOption("--min-lr <LR>")]
    [Description("Cosine-decay the learning rate to this floor after warm-up (default: constant).")]
    public float? MinLr { get; set; }

    [CommandOption("--warmup <N>")]
    public int Warmup { get; set; }

    [CommandOption("--weight-decay <WD>")]
    public float WeightDecay { get; set; } = 0.1f;

    [CommandOption("--beta1 <B1>")]
    public float Beta1 { get; set; } = 0.9f;

    [CommandOption("--beta2 <B2>")]
    public float Beta2 { get; set; } = 0.95f;

    [CommandOption("--eps <EPS>")]
    public float Eps { get; set; } = 1e-8f;

    [CommandOption("--clip <NORM>")]
    [Description("Global gradient-norm clip (0: off; default 1).")]
    public float Clip { get; set; } = 1f;

    [CommandOption("--seed <S>")]
    public ulong Seed { get; set; } = 1337;

    [CommandOption("-o|--out <DIR>")]
    [Description("Checkpoint folder (Hugging Face format), written atomically.")]
    public string? Out { get; set; }

    [CommandOption("-t|--threads <N>")]
    public int? Threads { get; set; }

    [CommandOption("--log <FILE>")]
    [Description("JSONL metrics: one line per step (step, loss, lr, grad_norm, tokens_per_s) and per evaluation.")]
    public string? Log { get; set; }

    [CommandOption("--overfit-batch")]
    [Description("Train on the first B×(T+1) tokens of the data as one fixed batch (sanity check).")]
    public bool OverfitBatch { get; set; }

    [CommandOption("--save-every <N>")]
    public int SaveEvery { get; set; }

    [CommandOption("--eval-every <N>")]
    public int EvalEvery { get; set; }

    [CommandOption("--eval-steps <N>")]
    public int EvalSteps { get; set; } = 10;

    public override ValidationResult Validate()
    {
        int sources = (From != null ? 1 : 0) + (Config != null ? 1 : 0) + (Resume != null ? 1 : 0);
        if (sources != 1) return ValidationResult.Error("give exactly one of --from <model>, --config <config> or --resume <dir>");
        if (Config != null && Tokenizer == null) return ValidationResult.Error("--config needs --tokenizer");
        if (Steps is < 0) return ValidationResult.Error("--steps must not be negative");
        if (TotalSteps > 0 && Data == null && Resume == null) return ValidationResult.Error("--data is required to train (--steps 0 only writes the model)");
        if (Out == null && Resume == null) return ValidationResult.Error("--out is required");
        if (Batch < 1 || Batch > 4096) return ValidationResult.Error("--batch must be between 1 and 4096");
        if (Seq is < 1) return ValidationResult.Error("--seq must be positive");
        if (GradAccum < 1) return ValidationResult.Error("--grad-accum must be at least 1");
        if (!(Lr > 0) || !float.IsFinite(Lr)) return ValidationResult.Error("--lr must be positive");
        if (MinLr is float m && (m < 0 || m > Lr)) return ValidationResult.Error("--min-lr must be between 0 and --lr");
        if (Warmup < 0) return ValidationResult.Error("--warmup must not be negative");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) return ValidationResult.Error("--beta1 and --beta2 must be in [0, 1)");
        if (!(Eps > 0)) return ValidationResult.Error("--eps must be positive");
        if (WeightDecay < 0 || Clip < 0) return ValidationResult.Error("--weight-decay and --clip must not be negative");
        if (SaveEvery < 0 || EvalEvery < 0 || EvalSteps < 1) return ValidationResult.Error("--save-every and --eval-every must not be negative, --eval-steps must be positive");
        if (Threads is < 1 or > 1024) return ValidationResult.Error("--threads must be between 1 and 1024");
        return ValidationResult.Success();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Hub;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;
using Cria.Training;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

/// <summary>
/// `cria train`: builds or loads the model, opens the token data, runs the step loop with logging,
/// evaluation and atomic checkpoints (plus optimizer/data state for --resume), and saves on Ctrl-C.
/// </summary>
public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings cli, CancellationToken cancellationToken)
    {
        if (cli.Threads is int t) WorkerPool.ConfigureShared(t);
        TrainingState? resumed = null;
        TrainSettings s = cli;
        if (cli.Resume != null)
        {
            if (HfFolderWriter.RecoverInterruptedSwap(cli.Resume))
                Console.Error.WriteLine($"{cli.Resume}: restored the checkpoint a killed save had moved aside");
            resumed = TrainingState.Read(cli.Resume);
            s = resumed.Settings.Deserialize<TrainSettings>() ?? throw new CriaFormatException(cli.Resume, TrainingState.StateName, "has no settings");
            s.Resume = cli.Resume;
            s.From = null;
            s.Config = null;
            s.Out = cli.Out ?? cli.Resume;
            if (cli.Steps != null) s.Steps = cli.Steps;
            if (cli.Log != null) s.Log = cli.Log;
            s.Threads = cli.Threads;
        }

        // Saving swaps the whole folder: never replace something the user has unless this run continues it.
        bool continuing = resumed != null && Path.GetFullPath(s.Out!) == Path.GetFullPath(s.Resume!);
        if (!continuing && Directory.Exists(s.Out) && Directory.EnumerateFileSystemEntries(s.Out).Any())
            throw new ArgumentException($"--out {s.Out}: the folder is not empty; choose a new folder (or continue the run in it with --resume {s.Out})");

        (TrainableLlama model, TokenizerSource tok, string modelName) = BuildModel(s, resumed);
        LlamaConfig c = model.Config;
        int seq = s.Seq ?? Math.Min(256, c.MaxSeqLen);
        s.Seq = seq;
        string outDir = s.Out!;

        if (s.TotalSteps == 0 && resumed == null)
        {
            CheckpointWriter.Write(model, outDir, tok.Path, tok.Tokenizer);
            Console.Error.WriteLine($"wrote the {(s.Config != null ? "initialized" : "loaded")} model ({c.ParameterCount:N0} parameters) to {outDir}");
            return 0;
        }

        TokenDataset data = TokenDataset.Open(s.Data!);
        data.CheckTokenizer(tok.Tokenizer, c.VocabSize, modelName);
        using TokenStream train = data.OpenTrain();
        using TokenStream? val = data.Val.Count > 0 && data.ValTokens > seq ? data.OpenVal() : null;

        TrainerOptions options = new()
        {
            Batch = s.Batch,
            Seq = seq,
            GradAccum = s.GradAccum,
            Schedule = new LrSchedule(s.Lr, s.MinLr ?? s.Lr, s.Warmup, s.TotalSteps, s.MinLr != null),
            AdamW = new AdamWOptions { Beta1 = s.Beta1, Beta2 = s.Beta2, Eps = s.Eps, WeightDecay = s.WeightDecay },
            Clip = s.Clip,
        };
        using Trainer trainer = new(model, options);
        IBatchSource batches;
        RandomWindows? windows = null;
        if (s.OverfitBatch)
        {
            int need = s.Batch * (seq + 1);
            if (train.Length < need) throw new ArgumentException($"{s.Data}: --overfit-batch needs {need} tokens, the data has {train.Length}");
            int[] first = new int[need];
            train.Read(0, first);
            batches = new FixedBatch(first, s.Batch, seq);
        }
        else batches = windows = new RandomWindows(train, seq, s.Seed ^ 0xDA7AUL);

        if (resumed != null)
        {
            TrainingState.ReadOptimizer(cli.Resume!, trainer.Optimizer);
            if (trainer.Optimizer.Step != resumed.Step) throw new CriaFormatException(cli.Resume!, TrainingState.OptimizerName, $"holds step {trainer.Optimizer.Step}, the state file says {resumed.Step}");
            if (windows != null) windows.State = resumed.DataState;
            Console.Error.WriteLine($"resuming {cli.Resume} at step {resumed.Step}");
        }

        using MetricsLog log = new(s.Log, resumed?.Step);
        JsonObject settingsJson = JsonSerializer.SerializeToNode(s) as JsonObject ?? new JsonObject();
        void Save()
        {
            TrainingState state = new()
            {
                Settings = settingsJson,
                Step = trainer.StepsDone,
                DataState = windows?.State ?? 0,
                RopeLayout = c.RopeLayout == RopeLayout.Interleaved ? "interleaved" : "halves",
            };
            try
            {
                CheckpointWriter.Write(model, outDir, tok.Path, tok.Tokenizer, dir =>
                {
                    state.Write(dir, trainer.Optimizer);
                    LossPlot.Write(Path.Combine(dir, "loss.png"), log.Train, log.Val);
                });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                // Disk full (ENOSPC), a file-size limit (EFBIG, which .NET reports as ArgumentOutOfRangeException) or
                // permissions: the new folder was never swapped in, so the previous checkpoint is still whole.
                string why = e is ArgumentOutOfRangeException ? "a file is larger than the file system or the file-size limit allows (EFBIG)" : e.Message.Split(" : ")[0];
                string kept = File.Exists(Path.Combine(outDir, TrainingState.StateName))
                    ? $"the previous checkpoint in {outDir} is intact (free space, then continue with --resume {outDir})"
                    : "no earlier checkpoint was written";
                throw new IOException($"could not save step {trainer.StepsDone} to {outDir}: {why}; {kept}", e);
            }
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {modelName}: {c.ParameterCount:N0} parameters, {data.TrainTokens:N0} train tokens, batch {s.Batch}×{seq}×{s.GradAccum}, {s.TotalSteps} steps, {WorkerPool.Shared.Threads} threads, activations {trainer.Pass.ActivationBytes / 1048576.0:F0} MiB"));

        // Ctrl-C (SIGINT) and SIGTERM finish the current step, save and exit cleanly.
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        if (val != null && s.EvalEvery > 0 && trainer.StepsDone == 0)
        {
            float v0 = trainer.Evaluate(new RandomWindows(val, seq, s.Seed ^ 0xE7A1UL), s.EvalSteps);
            log.Eval(0, v0);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step 0 | validation loss {v0:F4}"));
        }
        Stopwatch total = Stopwatch.StartNew();
        int startStep = trainer.StepsDone;
        bool interrupted = false;
        while (trainer.StepsDone < s.TotalSteps)
        {
            if (stop.IsCancellationRequested)
            {
                interrupted = true;
                break;
            }
            Stopwatch sw = Stopwatch.StartNew();
            StepResult r = trainer.Step(batches);
            double secs = sw.Elapsed.TotalSeconds;
            double tps = r.Tokens / Math.Max(secs, 1e-9);
            log.Step(r, tps);
            double avg = total.Elapsed.TotalSeconds / (r.Step - startStep);
            TimeSpan eta = TimeSpan.FromSeconds(avg * (s.TotalSteps - r.Step));
            if (!float.IsFinite(r.Loss)) throw new InvalidOperationException($"step {r.Step}: the loss is {r.Loss}; lower --lr or check the data");
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {r.Step}/{s.TotalSteps} | loss {r.Loss:F4} | lr {r.Lr:E2} | grad norm {r.GradNorm:F3} | {tps:F0} tokens/s | ETA {eta:hh\\:mm\\:ss}"));
            if (val != null && s.EvalEvery > 0 && (r.Step % s.EvalEvery == 0 || r.Step == s.TotalSteps))
            {
                float vl = trainer.Evaluate(new RandomWindows(val, seq, s.Seed ^ 0xE7A1UL), s.EvalSteps);
                log.Eval(r.Step, vl);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {r.Step} | validation loss {vl:F4}"));
            }
            if (s.SaveEvery > 0 && r.Step % s.SaveEvery == 0 && r.Step < s.TotalSteps) Save();
        }
        Save();
        Console.Error.WriteLine(interrupted
            ? $"interrupted: saved step {trainer.StepsDone} to {outDir} (continue with --resume {outDir})"
            : $"saved {outDir} after {trainer.StepsDone} steps");
        return 0;
    }

    private static (TrainableLlama, TokenizerSource, string) BuildModel(TrainSettings s, TrainingState? resumed)
    {
        if (resumed != null)
        {
            using LoadedModel m = ModelLoader.Load(s.Resume!);
            RopeLayout layout = resumed.RopeLayout == "interleaved" ? RopeLayout.Interleaved : RopeLayout.Halves;
            return (TrainableLlama.FromLoaded(m, layout), new TokenizerSource(m.Tokenizer!, s.Resume), s.Resume!);
        }
        if (s.From != null)
        {
            // A pulled model's name becomes its snapshot path here, so the tokenizer files below and a later --resume find it.
            s.From = HubModels.ResolvePath(s.From);
            using LoadedModel m = ModelLoader.Load(s.From, s.Tokenizer);
            if (m.Tokenizer == null) throw new ArgumentException($"{s.From}: no tokenizer found beside the model; give one with --tokenizer");
            string? tokPath = s.Tokenizer ?? m.Format switch
            {
                "hf" => s.From,
                "llama2c" => TokenizerSource.BesideLlama2c(s.From, m.Config.VocabSize),
                _ => null,
            };
            if (tokPath == null && s.TotalSteps >= 0)
                throw new ArgumentException($"{s.From}: the checkpoint needs tokenizer files; give --tokenizer (a tokenizer.json, tokenizer.model or tokenizer.bin)");
            return (TrainableLlama.FromLoaded(m), new TokenizerSource(m.Tokenizer, tokPath), s.From);
        }
        TokenizerSource tok = TokenizerSource.Load(s.Tokenizer!);
        LlamaConfig config = ModelShapes.Named(s.Config!, tok.Tokenizer.VocabSize)
            ?? (File.Exists(s.Config) ? HfConfigReader.Read(s.Config!).Config
                : throw new ArgumentException($"--config {s.Config}: not a file, nor one of {string.Join(", ", ModelShapes.Names)}"));
        if (config.VocabSize < tok.Tokenizer.VocabSize)
            throw new ArgumentException($"{s.Config}: vocab_size {config.VocabSize} is smaller than the tokenizer's {tok.Tokenizer.VocabSize}");
        TrainableLlama model = new(config);
        model.InitializeRandom(s.Seed);
        return (model, tok, s.Config!);
    }
}

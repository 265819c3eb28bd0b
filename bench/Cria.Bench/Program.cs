using Cria.Bench;

try
{
    string command = args.Length > 0 ? args[0] : "help";
    Options options = new(args.Skip(1));
    return command switch
    {
        "random" => RandomCommand.Run(options),
        "speed" => SpeedCommand.Run(options),
        "serve-load" => ServeLoadCommand.Run(options),
        "batch-step" => BatchStepCommand.Run(options),
        "train" => TrainSpeedCommand.Run(options),
        "fma-peak" => FmaPeakCommand(options),
        "load" => LoadCommand.Run(options),
        "load-probe" => LoadProbe.Run(options),
        "lineage" => LineageBenchCommand.Run(options),
        _ => Usage(),
    };
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or Cria.Formats.CriaFormatException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

static int FmaPeakCommand(Options o)
{
    int threads = o.Int("threads", 2, "t");
    Console.WriteLine(FmaPeak.Report(threads, FmaPeak.Measure(threads)));
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage:
          random --out FILE.gguf --shape 110m|tinyllama-1.1b|15m --type f32|f16|q8_0|q4_0 [--seed S]
          speed --model PATH [-p 128] [-n 64] [-r 3] [-t 2] [--peer] [--breakdown]
          serve-load --model PATH [--template chatml] [--clients 16] [--seconds 30] [--max-tokens 128] [--ctx 512] [--threads N]
          batch-step --model PATH [--positions 8,150] [--batches 1,4,16] [--steps 200] [--threads 1]
          train [--shape 15m|42m|110m|260k] [--vocab 32000] [--batch 8] [--seq 256] [--steps 5] [-t 2] [--profile]
          fma-peak [-t 2]
          load --models A.gguf[,B.gguf…] [-r 3] [-t 2] [--ctx 512]
          lineage --a PATH --b PATH [-t 2] [--tokens 512] [--null-samples 4] [--no-cosine]
        """);
    return 2;
}

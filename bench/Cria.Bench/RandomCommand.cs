using System.Diagnostics;
using System.Globalization;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>`random`: writes a seeded random-weight LLaMA GGUF of a named shape.</summary>
internal static class RandomCommand
{
    public static int Run(Options o)
    {
        string output = o.Required("out");
        ModelShape shape = ModelShape.Find(o.String("shape", "110m")!);
        DType type = o.String("type", "f32") switch
        {
            "f32" => DType.F32,
            "f16" => DType.F16,
            "q8_0" => DType.Q8_0,
            "q4_0" => DType.Q4_0,
            "q4_k" => DType.Q4_K,
            "q6_k" => DType.Q6_K,
            var other => throw new ArgumentException($"--type must be f32, f16, q8_0, q4_0, q4_k or q6_k, not '{other}'"),
        };
        ulong seed = ulong.Parse(o.String("seed", "1")!, CultureInfo.InvariantCulture);
        o.RejectUnknown();

        long start = Stopwatch.GetTimestamp();
        RandomModelWriter.Write(output, shape, type, seed);
        Console.WriteLine($"wrote {output}: {shape.Name} {type}, {new FileInfo(output).Length / 1e6:F1} MB in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        return 0;
    }
}

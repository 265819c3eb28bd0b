using Cria.Hub;
using Cria.Tensors;

namespace Cria.Formats;

/// <summary>What <see cref="GgufQuantizer.Quantize"/> wrote.</summary>
public sealed record QuantizeSummary(int Converted, int KeptF32, long OutputBytes);

/// <summary>
/// Re-stores a GGUF model's matrices in one type, like llama-quantize without an importance matrix: every matrix whose
/// rows are a whole number of the type's blocks becomes that type, the other tensors (norms, matrices whose rows do
/// not fit the block) are stored as F32, and all metadata (tokenizer included) is carried over.
/// </summary>
public static unsafe class GgufQuantizer
{
    public static readonly string TypeNames = "q8_0, q4_0, q4_k, q6_k, f16, bf16, f32";

    public static DType ParseType(string name) => name.ToLowerInvariant() switch
    {
        "q8_0" => DType.Q8_0,
        "q4_0" => DType.Q4_0,
        "q4_k" => DType.Q4_K,
        "q6_k" => DType.Q6_K,
        "f16" => DType.F16,
        "bf16" => DType.BF16,
        "f32" => DType.F32,
        _ => throw new ArgumentException($"unknown --type '{name}' (expected one of {TypeNames})"),
    };

    // llama.cpp's llama_ftype values, which it prints as the file's type.
    internal static uint FileType(DType t) => t switch
    {
        DType.F32 => 0,
        DType.F16 => 1,
        DType.Q4_0 => 2,
        DType.Q8_0 => 7,
        DType.Q4_K => 15,
        DType.Q6_K => 18,
        DType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>
    /// Reads a GGUF file tensor by tensor; any other input Cria loads (Hugging Face folder, llama2.c .bin) goes
    /// through <see cref="ModelConverter"/>, which writes the same GGUF layout with the tokenizer carried over.
    /// </summary>
    /// <param name="progress">Called after each tensor with (work done, work in all).</param>
    public static QuantizeSummary Quantize(string input, string output, DType type, Action<long, long>? progress = null)
    {
        input = HubModels.ResolvePath(input);
        if (!File.Exists(input) && !Directory.Exists(input)) throw new ArgumentException($"{input}: no such file or folder");
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new ArgumentException($"{output}: the output would overwrite the input");
        if (!IsGguf(input))
        {
            ConvertSummary c = ModelConverter.Convert(input, output, type, progress == null ? null : (done, all) => progress(done, all), ConvertTarget.Gguf);
            return new QuantizeSummary(c.InType, c.Tensors - c.InType, new FileInfo(output).Length);
        }
        using GgufFile g = GgufFile.Open(input);
        GgufWriter w = new();
        foreach (var kv in g.Metadata)
            if (kv.Key != "general.file_type") w.Set(kv.Key, kv.Value);
        w.Set("general.file_type", FileType(type));

        long total = g.Tensors.Sum(t => t.Elements), done = 0;
        int converted = 0, kept = 0;
        foreach (GgufTensorInfo t in g.Tensors)
        {
            bool matrix = t.Shape.Length >= 2 && t.Shape[0] % type.BlockSize() == 0;
            DType target = matrix ? type : DType.F32;
            if (matrix) converted++;
            else kept++;
            GgufTensorInfo info = t;
            w.AddTensor(t.Name, target, t.Shape, s =>
            {
                WriteRows(g, info, target, s);
                done += info.Elements;
                progress?.Invoke(done, total);
            });
        }
        w.Write(output);
        return new QuantizeSummary(converted, kept, new FileInfo(output).Length);
    }

    private static bool IsGguf(string path)
    {
        if (Directory.Exists(path)) return false;
        Span<byte> head = stackalloc byte[4];
        using FileStream f = File.OpenRead(path);
        return f.Read(head) == 4 && BitConverter.ToUInt32(head) == GgufFile.Magic;
    }

    private static void WriteRows(GgufFile g, GgufTensorInfo t, DType target, Stream s)
    {
        int cols = checked((int)t.Shape[0]);
        long rows = t.Elements / cols;
        long srcRowBytes = t.Type.ByteCount(cols);
        long dstRowBytes = target.ByteCount(cols);
        byte* src = g.TensorData(t);
        float[] row = new float[cols];
        // Rows are converted a slab at a time so a large matrix never needs a second full copy in memory.
        int slabRows = (int)Math.Max(1, Math.Min(rows, (8 << 20) / Math.Max(1, dstRowBytes)));
        byte[] slab = new byte[slabRows * dstRowBytes];
        for (long r0 = 0; r0 < rows; r0 += slabRows)
        {
            int n = (int)Math.Min(slabRows, rows - r0);
            fixed (byte* dst = slab)
                for (int i = 0; i < n; i++)
                {
                    Dequantize.Row(t.Type, src + (r0 + i) * srcRowBytes, row);
                    Tensors.Quantize.Row(target, row, dst + i * dstRowBytes);
                }
            s.Write(slab, 0, (int)(n * dstRowBytes));
        }
    }
}

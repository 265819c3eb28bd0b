using Cria.Tensors;
using Xunit.Abstractions;

namespace Cria.Tests.Tensors;

/// <summary>Cria's quantization against ggml's own code (from LLamaSharp.Backend.Cpu), bit for bit.</summary>
public class GgmlCrossCheckTests(ITestOutputHelper output)
{
    private const int RowLength = 1024;

    public static TheoryData<DType> Types() => QuantTestData.Types();

    [SkippableTheory]
    [MemberData(nameof(Types))]
    public void Dequantizing_random_blocks_matches_ggml_to_float(DType type)
    {
        GgmlReference ggml = GgmlReference.Get();
        for (int row = 0; row < 6; row++)
        {
            int blocks = RowLength / type.BlockSize() + row; // uneven block counts too
            int n = blocks * type.BlockSize();
            byte[] data = QuantTestData.RandomBlocks(type, blocks, seed: 1000 * (int)type + row);
            string? diff = QuantTestData.FirstBitDifference(ggml.ToFloat(type, data, n), QuantTestData.Dequantized(type, data, n));
            Assert.True(diff == null, $"{type} random row {row}: {diff}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Types))]
    public void Dequantizing_ggml_quantized_rows_matches_ggml_to_float(DType type)
    {
        GgmlReference ggml = GgmlReference.Get();
        float[] x = QuantTestData.RandomWeights(5 * RowLength, seed: 77 + (int)type);
        byte[] data = ggml.QuantizeChunk(type, x, RowLength);
        string? diff = QuantTestData.FirstBitDifference(ggml.ToFloat(type, data, x.Length), QuantTestData.Dequantized(type, data, x.Length));
        Assert.True(diff == null, $"{type}: {diff}");
    }

    [SkippableTheory]
    [MemberData(nameof(Types))]
    public void Quantizing_matches_ggml_quantize_chunk_byte_for_byte(DType type)
    {
        GgmlReference ggml = GgmlReference.Get();
        foreach (int rows in new[] { 1, 3, 7 })
        {
            float[] x = QuantTestData.RandomWeights(rows * RowLength, seed: 31 * rows + (int)type);
            string? diff = QuantTestData.FirstByteDifference(ggml.QuantizeChunk(type, x, RowLength), QuantTestData.Quantized(type, x), type.BlockBytes());
            Assert.True(diff == null, $"{type}, {rows} rows: {diff}");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Types))]
    public void Quantizing_matches_ggml_from_float_ref_on_plain_gaussian_rows(DType type)
    {
        GgmlReference ggml = GgmlReference.Get();
        var rng = new Random(5 + (int)type);
        for (int row = 0; row < 4; row++)
        {
            float scale = MathF.Pow(10, row - 2);
            float[] x = Enumerable.Range(0, RowLength).Select(_ => QuantTestData.Gaussian(rng) * scale).ToArray();
            string? diff = QuantTestData.FirstByteDifference(ggml.FromFloatRef(type, x), QuantTestData.Quantized(type, x), type.BlockBytes());
            Assert.True(diff == null, $"{type}, scale {scale}: {diff}");
        }
    }

    /// <summary>Records which ggml the other tests compared against (visible with --logger "console;verbosity=detailed").</summary>
    [SkippableFact]
    public void Ggml_base_library_loads()
    {
        GgmlReference ggml = GgmlReference.Get();
        output.WriteLine($"ggml {ggml.Version} from {ggml.LibraryPath}");
        Assert.Contains("ggml-base", Path.GetFileName(ggml.LibraryPath));
    }
}

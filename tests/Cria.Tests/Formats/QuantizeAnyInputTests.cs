using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Tests.Model;

namespace Cria.Tests.Formats;

/// <summary>
/// `cria quantize` from the Hugging Face folder and the llama2.c .bin (not only GGUF), and `cria convert` round trips:
/// .bin → GGUF → HF → .bin must give back the very same weight bytes.
/// </summary>
public class QuantizeAnyInputTests
{
    private const string Bin = "models/stories260K/stories260K.bin";
    private const string Hf = "models/stories260K-hf";
    private static readonly int[] Ids = [1, 403, 407, 261, 378];

    private static void Cli(params string[] args)
    {
        CliRunner.Result r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith($"wrote {args[2]}", r.Stdout);
    }

    private static float[] Logits(LoadedModel m)
    {
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(16);
        float[] logits = new float[Ids.Length * m.Config.VocabSize];
        model.Forward(Ids, cache, logits, allLogits: true);
        return logits;
    }

    private static unsafe byte[] Bytes(WeightTensor w) => new ReadOnlySpan<byte>(w.Data, checked((int)w.ByteLength)).ToArray();

    [SkippableFact]
    public void Hf_folder_and_bin_quantize_to_the_same_q8_0_tensors_close_to_the_f32_model()
    {
        using TempDir d = new();
        string fromBin = d.File("bin-q8_0.gguf"), fromHf = d.File("hf-q8_0.gguf");
        Cli("quantize", Fixtures.Path_(Bin), fromBin, "--type", "q8_0");
        GgufQuantizer.Quantize(Fixtures.Path_(Hf), fromHf, DType.Q8_0);

        using LoadedModel f32 = ModelLoader.Load(Fixtures.Path_(Bin), loadTokenizer: false);
        using LoadedModel q = ModelLoader.Load(fromBin, loadTokenizer: true);
        using LoadedModel qHf = ModelLoader.Load(fromHf, loadTokenizer: true);
        WeightTensor[] src = f32.Weights.Matrices.ToArray(), a = q.Weights.Matrices.ToArray(), b = qHf.Weights.Matrices.ToArray();
        Assert.Equal(src.Length, a.Length);
        int quantized = 0;
        for (int i = 0; i < src.Length; i++)
        {
            // Rows of 64 hold two Q8_0 blocks; stories260K's down projection has rows of 172, which stay F32.
            DType want = src[i].Cols % 32 == 0 ? DType.Q8_0 : DType.F32;
            Assert.Equal(want, a[i].Type);
            quantized += want == DType.Q8_0 ? 1 : 0;
            // Every stored row is exactly what quantizing the F32 row gives (so the .bin's interleaved q/k rows
            // went in unpermuted) ...
            byte[] expected = new byte[want.ByteCount(src[i].Cols) * src[i].Rows];
            float[] row = new float[src[i].Cols];
            unsafe
            {
                fixed (byte* p = expected)
                    for (int r = 0; r < src[i].Rows; r++)
                    {
                        src[i].ReadRow(r, row);
                        Quantize.Row(want, row, p + r * want.ByteCount(src[i].Cols));
                    }
            }
            Assert.Equal(expected, Bytes(a[i]));
            // ... and the HF folder, whose q/k rows are in rotate-half order, was permuted back to the same bytes.
            Assert.Equal(expected, Bytes(b[i]));
        }
        Assert.Equal(31, quantized); // the embedding and 6 of the 7 matrices of each of the 5 layers
        Assert.Equal(q.Tokenizer!.Encode("Once upon a time", true), qHf.Tokenizer!.Encode("Once upon a time", true));
        Assert.Equal(Ids, q.Tokenizer.Encode("Once upon a time", true));

        // The Q8_0 engine matches a float64 forward over the dequantized weights (with the same int8 activation
        // rounding) to 1e-4, and stays within Q8_0's own error of the F32 model: on logits up to |19| the rounding of
        // weights and activations moves them by at most 0.3 (observed 0.249).
        float[] exact = Logits(f32), quant = Logits(q);
        double[][] reference = ReferenceForward.Logits(q.Config, q.Weights, Ids);
        int vocab = q.Config.VocabSize;
        double maxVsF32 = 0;
        for (int t = 0; t < Ids.Length; t++)
            for (int v = 0; v < vocab; v++)
            {
                Assert.True(Math.Abs(quant[t * vocab + v] - reference[t][v]) <= 1e-4, $"t={t} v={v}: {quant[t * vocab + v]} vs reference {reference[t][v]}");
                maxVsF32 = Math.Max(maxVsF32, Math.Abs(quant[t * vocab + v] - exact[t * vocab + v]));
            }
        Assert.InRange(maxVsF32, 1e-3, 0.3);
        Assert.Equal(quant, Logits(qHf));
    }

    [SkippableFact]
    public void Bin_to_gguf_to_hf_to_bin_gives_back_the_same_weight_bytes()
    {
        using TempDir d = new();
        string gguf = d.File("a.gguf"), hf = d.File("b-hf"), bin = Path.Combine(d.Path, "c", "stories.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(bin)!);
        ModelConverter.Convert(Fixtures.Path_(Bin), gguf);
        ModelConverter.Convert(gguf, hf);
        Cli("convert", hf, bin);

        byte[] original = File.ReadAllBytes(Fixtures.Path_(Bin)), back = File.ReadAllBytes(bin);
        Assert.Equal(original.Length, back.Length);
        // Header and weights, bit for bit; only the RoPE tables llama2.c appends (seq 512 × 4 cos + 4 sin floats for head
        // size 8, which readers ignore) are recomputed: PyTorch formed the angles in float32 (error up to ~511 × 6e-8
        // rad at the last position), Cria in double.
        int tables = 512 * 4 * 2 * sizeof(float);
        Assert.True(original.AsSpan(0, original.Length - tables).SequenceEqual(back.AsSpan(0, back.Length - tables)), "weights differ");
        float[] t0 = new float[tables / 4], t1 = new float[tables / 4];
        Buffer.BlockCopy(original, original.Length - tables, t0, 0, tables);
        Buffer.BlockCopy(back, back.Length - tables, t1, 0, tables);
        for (int i = 0; i < t0.Length; i++) Assert.True(Math.Abs(t0[i] - t1[i]) <= 1e-4, $"rope table [{i}]: {t0[i]} vs {t1[i]}");

        // The tokenizer went along: tokenizer.bin was written beside the .bin.
        CliRunner.Result r = CliRunner.Run("tokenize", bin, "Once upon a time");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("1 403 407 261 378", r.Stdout.Trim());
    }

    [SkippableFact]
    public void Small_slabs_write_the_same_bytes_as_whole_matrices()
    {
        using TempDir d = new();
        void ConvertAll(string dir)
        {
            Directory.CreateDirectory(dir);
            ModelConverter.Convert(Fixtures.Path_(Bin), Path.Combine(dir, "hf"));
            ModelConverter.Convert(Path.Combine(dir, "hf"), Path.Combine(dir, "x.gguf"), DType.F16);
            ModelConverter.Convert(Path.Combine(dir, "hf"), Path.Combine(dir, "back.bin"));
        }
        ConvertAll(d.File("whole"));
        // Slabs of 3 × 256 bytes: q/k rows (64 floats) go one head of 8 rows at a time and the other matrices 3 rows at
        // a time, so a head split across slabs, or rows dropped or repeated at a slab edge, would change the bytes.
        ModelConverter.SlabBytesForTests = 3 * 256;
        try
        {
            ConvertAll(d.File("slabs"));
        }
        finally
        {
            ModelConverter.SlabBytesForTests = 0;
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(d.File("whole"), "hf", "model.safetensors")), File.ReadAllBytes(Path.Combine(d.File("slabs"), "hf", "model.safetensors")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(d.File("whole"), "back.bin")), File.ReadAllBytes(Path.Combine(d.File("slabs"), "back.bin")));
        byte[] g0 = File.ReadAllBytes(Path.Combine(d.File("whole"), "x.gguf")), g1 = File.ReadAllBytes(Path.Combine(d.File("slabs"), "x.gguf"));
        Assert.Equal(g0, g1);
    }

    [SkippableFact]
    public void Quantized_types_are_refused_for_folders_and_bin()
    {
        using TempDir d = new();
        CliRunner.Result r = CliRunner.Run("convert", Fixtures.Path_(Bin), d.File("x-hf"), "--type", "q8_0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("only GGUF holds Q8_0", r.Stderr);
        Assert.False(Directory.Exists(d.File("x-hf")));
    }
}

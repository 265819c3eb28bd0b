using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Cria.Hub;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Formats;

/// <summary>The checkpoint layout <see cref="ModelConverter"/> writes, chosen by the output path.</summary>
public enum ConvertTarget { Gguf, Llama2c, HuggingFace }

/// <summary>What <see cref="ModelConverter.Convert"/> wrote.</summary>
/// <param name="InType">How many tensors were stored in <paramref name="Type"/> (the rest are F32).</param>
/// <param name="TokenizerProblem">Why the tokenizer was not carried, when the writer knows.</param>
public sealed record ConvertSummary(ConvertTarget Target, DType Type, int Tensors, int InType, bool TokenizerCarried, bool QkPermuted, string? TokenizerProblem = null);

/// <summary>
/// Rewrites any checkpoint <see cref="ModelLoader"/> reads as GGUF (path ending in .gguf), llama2.c v0 (.bin, F32 only)
/// or a Hugging Face folder (anything else). HF stores q/k rows in rotate-half order, GGUF and llama2.c in interleaved
/// pairs (except GGUF's qwen2, written for models with q/k/v biases, which rotates halves); rows and q/k biases are
/// permuted per head when the source and target differ. Outputs are replaced atomically.
/// </summary>
public static unsafe class ModelConverter
{
    public static readonly string TypeNames = "f32, f16, bf16";

    /// <summary>A --type name: f32, f16, bf16, or a quantized type (GGUF output only).</summary>
    public static DType ParseType(string name) => GgufQuantizer.ParseType(name);

    public static ConvertTarget TargetOf(string output) =>
        output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? ConvertTarget.Gguf
        : output.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? ConvertTarget.Llama2c
        : ConvertTarget.HuggingFace;

    /// <param name="type">
    /// The type of the weight matrices: F32, F16 or BF16 for every target; for GGUF also Q8_0, Q4_0, Q4_K or Q6_K,
    /// given to each matrix whose rows are a whole number of the type's blocks (the others stay F32, as in
    /// <see cref="GgufQuantizer"/>).
    /// </param>
    /// <param name="progress">Called after each tensor with (tensors done, tensors in all).</param>
    /// <param name="target">The layout to write; by default chosen from the output path (<see cref="TargetOf"/>).</param>
    public static ConvertSummary Convert(string input, string output, DType type = DType.F32, Action<int, int>? progress = null, ConvertTarget? target = null)
    {
        ConvertTarget to = target ?? TargetOf(output);
        bool quantized = type is DType.Q8_0 or DType.Q4_0 or DType.Q4_K or DType.Q6_K;
        if (!quantized && type is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"convert writes {TypeNames}, or for GGUF q8_0, q4_0, q4_k, q6_k; not {type}");
        if (quantized && to != ConvertTarget.Gguf)
            throw new ArgumentException($"{output}: only GGUF holds {type} weights (write a path ending in .gguf)");
        return ConvertTo(input, output, type, progress, to);
    }

    private static ConvertSummary ConvertTo(string input, string output, DType type, Action<int, int>? progress, ConvertTarget target)
    {
        input = HubModels.ResolvePath(input);
        if (target == ConvertTarget.Llama2c && type != DType.F32)
            throw new ArgumentException($"{output}: llama2.c .bin checkpoints hold F32 weights only, not {type} (use --type f32, or write .gguf or a folder)");
        string fullIn = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar), fullOut = Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar);
        if (fullIn == fullOut) throw new ArgumentException($"{output}: the output would overwrite the input");

        using LoadedModel m = ModelLoader.Load(input, loadTokenizer: true);
        return Write(m, input, output, type, progress, target);
    }

    /// <summary>
    /// Writes a model that is already open (possibly built in memory, such as a lineage disguise) to
    /// <paramref name="output"/>; <paramref name="input"/> is where a Hugging Face target copies tokenizer files from.
    /// </summary>
    public static ConvertSummary Write(LoadedModel m, string input, string output, DType type = DType.F32, Action<int, int>? progress = null, ConvertTarget? to = null)
    {
        ConvertTarget target = to ?? TargetOf(output);
        bool quantized = type is DType.Q8_0 or DType.Q4_0 or DType.Q4_K or DType.Q6_K;
        if (!quantized && type is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"convert writes {TypeNames}, or for GGUF q8_0, q4_0, q4_k, q6_k; not {type}");
        if (quantized && target != ConvertTarget.Gguf)
            throw new ArgumentException($"{output}: only GGUF holds {type} weights (write a path ending in .gguf)");
        if (target == ConvertTarget.Llama2c && type != DType.F32)
            throw new ArgumentException($"{output}: llama2.c .bin checkpoints hold F32 weights only, not {type} (use --type f32, or write .gguf or a folder)");
        LlamaConfig c = m.Config;
        if (c.AttentionBias && target == ConvertTarget.Llama2c)
            throw new ArgumentException($"{output}: llama2.c checkpoints have no q/k/v biases (write .gguf or a folder)");
        // Models with q/k/v biases are written as GGUF's qwen2, which rotates halves (NEOX) like Hugging Face.
        RopeLayout want = target == ConvertTarget.HuggingFace || c.AttentionBias ? RopeLayout.Halves : RopeLayout.Interleaved;
        bool permute = c.RopeLayout != want;
        if (permute && c.RopeDim != c.HeadDim)
            throw new ArgumentException($"{input}: partial-rotary models (rope dim {c.RopeDim} < head dim {c.HeadDim}) cannot change RoPE layout yet");
        Layout layout = new(c, permute, want);
        return target switch
        {
            ConvertTarget.Gguf => WriteGguf(m, layout, output, type, progress),
            ConvertTarget.Llama2c => WriteLlama2c(m, layout, output, progress),
            _ => WriteHf(m, layout, input, output, type, progress),
        };
    }

    private sealed record Layout(LlamaConfig Config, bool Permute, RopeLayout Want);

    /// <summary>A q/k bias reordered like its rows.</summary>
    private static float[] Entries(float[] v, Layout l, bool qk) =>
        !qk || !l.Permute ? v
        : l.Want == RopeLayout.Halves ? RopeRowOrder.ToRotateHalf(v, v.Length, 1, l.Config.HeadDim)
        : RopeRowOrder.ToInterleaved(v, v.Length, 1, l.Config.HeadDim);

    // Rows are converted a slab of about this many bytes (as F32) at a time, so a matrix is never copied whole.
    private const long SlabBytes = 4 << 20;

    /// <summary>Lets a test shrink the slabs on its own thread (conversion runs on the caller's thread) to cross slab edges.</summary>
    [ThreadStatic] internal static long SlabBytesForTests;

    /// <summary>
    /// Writes a matrix's rows stored as <paramref name="type"/>, a slab at a time, q/k rows reordered to the target's
    /// RoPE layout (the reordering stays within each head, so a slab holds whole heads).
    /// </summary>
    private static void WriteMatrix(Stream s, WeightTensor w, Layout l, bool qk, DType type)
    {
        int cols = w.Cols;
        bool permute = qk && l.Permute;
        int headDim = l.Config.HeadDim, group = permute ? headDim : 1;
        if (w.Rows % group != 0) throw new InvalidOperationException($"{w.Rows} q/k rows are not whole heads of {group}");
        long target = SlabBytesForTests > 0 ? SlabBytesForTests : SlabBytes;
        int slabRows = (int)Math.Min(w.Rows, Math.Max(group, target / (4L * cols) / group * group));
        long rowBytes = type.ByteCount(cols);
        float[] slab = new float[slabRows * cols];
        byte[] encoded = new byte[slabRows * rowBytes];
        for (int r0 = 0; r0 < w.Rows; r0 += slabRows)
        {
            int n = Math.Min(slabRows, w.Rows - r0);
            for (int i = 0; i < n; i++) w.ReadRow(r0 + i, slab.AsSpan(i * cols, cols));
            float[] rows = !permute ? slab
                : l.Want == RopeLayout.Halves ? RopeRowOrder.ToRotateHalf(slab, n, cols, headDim)
                : RopeRowOrder.ToInterleaved(slab, n, cols, headDim);
            unsafe
            {
                fixed (byte* dst = encoded)
                    for (int i = 0; i < n; i++) Quantize.Row(type, rows.AsSpan(i * cols, cols), dst + i * rowBytes);
            }
            s.Write(encoded, 0, checked((int)(n * rowBytes)));
        }
    }

    private static byte[] Encode(ReadOnlySpan<float> values, DType type)
    {
        byte[] dst = new byte[type.ByteCount(values.Length)];
        fixed (byte* p = dst) Quantize.Row(type, values, p);
        return dst;
    }

    private static SentencePieceBpeTokenizer? SentencePiece(ITokenizer? t) =>
        (t is LoadedTokenizer lt ? lt.Tokenizer : t) as SentencePieceBpeTokenizer;

    /// <summary>Every tensor in GGUF order with its GGUF name, whether it is a matrix, and whether it is q/k.</summary>
    private static IEnumerable<(string Name, WeightTensor? Matrix, float[]? Vector, bool Qk)> Tensors(LlamaWeights w, TensorNaming n, bool tied)
    {
        yield return (n.Embedding, w.TokenEmbedding, null, false);
        for (int i = 0; i < w.Layers.Length; i++)
        {
            LayerWeights L = w.Layers[i];
            yield return (n.Layer(n.AttnNorm, i), null, L.AttnNorm, false);
            yield return (n.Layer(n.Wq, i), L.Wq, null, true);
            yield return (n.Layer(n.Wk, i), L.Wk, null, true);
            yield return (n.Layer(n.Wv, i), L.Wv, null, false);
            if (L.Bq != null && L.Bk != null && L.Bv != null)
            {
                yield return (n.Layer(n.Bq, i), null, L.Bq, true);
                yield return (n.Layer(n.Bk, i), null, L.Bk, true);
                yield return (n.Layer(n.Bv, i), null, L.Bv, false);
            }
            yield return (n.Layer(n.Wo, i), L.Wo, null, false);
            yield return (n.Layer(n.FfnNorm, i), null, L.FfnNorm, false);
            yield return (n.Layer(n.Gate, i), L.WGate, null, false);
            yield return (n.Layer(n.Up, i), L.WUp, null, false);
            yield return (n.Layer(n.Down, i), L.WDown, null, false);
        }
        yield return (n.FinalNorm, null, w.FinalNorm, false);
        if (!tied) yield return (n.Output, w.Output, null, false);
    }

    private static ConvertSummary WriteGguf(LoadedModel m, Layout l, string output, DType type, Action<int, int>? progress)
    {
        LlamaConfig c = m.Config;
        GgufWriter g = new();
        string arch = c.AttentionBias ? "qwen2" : "llama";
        g.Set("general.architecture", arch);
        g.Set("general.name", Path.GetFileNameWithoutExtension(output));
        g.Set("general.file_type", GgufQuantizer.FileType(type));
        g.Set($"{arch}.context_length", (uint)c.MaxSeqLen);
        g.Set($"{arch}.embedding_length", (uint)c.Dim);
        g.Set($"{arch}.block_count", (uint)c.Layers);
        g.Set($"{arch}.feed_forward_length", (uint)c.HiddenDim);
        g.Set($"{arch}.attention.head_count", (uint)c.Heads);
        g.Set($"{arch}.attention.head_count_kv", (uint)c.KvHeads);
        if (c.HeadDim != c.Dim / c.Heads)
        {
            g.Set($"{arch}.attention.key_length", (uint)c.HeadDim);
            g.Set($"{arch}.attention.value_length", (uint)c.HeadDim);
        }
        g.Set($"{arch}.rope.dimension_count", (uint)c.RopeDim);
        g.Set($"{arch}.rope.freq_base", c.RopeTheta);
        g.Set($"{arch}.attention.layer_norm_rms_epsilon", c.NormEps);
        g.Set($"{arch}.vocab_size", (uint)c.VocabSize);
        if (c.RopeScaling.Type == RopeScalingType.Linear)
        {
            g.Set($"{arch}.rope.scaling.type", "linear");
            g.Set($"{arch}.rope.scaling.factor", c.RopeScaling.Factor);
        }

        string? tokenizerProblem = GgufTokenizerWriter.Write(g, m.Tokenizer, m.ChatTemplate);

        var all = Tensors(m.Weights, TensorNaming.Gguf, c.TiedEmbeddings).ToList();
        int done = 0, inType = 0;
        foreach (var t in all)
        {
            var tensor = t;
            DType stored = t.Matrix != null && t.Matrix.Cols % type.BlockSize() == 0 ? type : DType.F32;
            if (stored == type) inType++;
            long[] ne = t.Matrix != null ? [t.Matrix.Cols, t.Matrix.Rows] : [t.Vector!.Length];
            g.AddTensor(t.Name, stored, ne, s =>
            {
                if (tensor.Matrix != null) WriteMatrix(s, tensor.Matrix, l, tensor.Qk, stored);
                else s.Write(Encode(Entries(tensor.Vector!, l, tensor.Qk), stored));
                progress?.Invoke(++done, all.Count);
            });
        }
        if (m.Weights.RopeFreqFactors is float[] rf) g.AddTensor("rope_freqs.weight", DType.F32, [rf.Length], Encode(rf, DType.F32));
        g.Write(output);
        return new ConvertSummary(ConvertTarget.Gguf, type, all.Count, inType, tokenizerProblem == null, l.Permute, tokenizerProblem);
    }

    private static ConvertSummary WriteLlama2c(LoadedModel m, Layout l, string output, Action<int, int>? progress)
    {
        LlamaConfig c = m.Config;
        if (c.RopeScaling.Type != RopeScalingType.None || c.RopeTheta != 10000f || m.Weights.RopeFreqFactors != null)
            throw new ArgumentException($"{m.Path}: llama2.c checkpoints have no RoPE scaling or theta field (this model uses theta {c.RopeTheta}, scaling {c.RopeScaling.Type})");
        LlamaWeights w = m.Weights;
        int count = 0, total = 2 + c.Layers * 9 + (c.TiedEmbeddings ? 0 : 1);
        void Tick() => progress?.Invoke(++count, total);
        AtomicFile.Write(output, s =>
        {
            Span<byte> header = stackalloc byte[Llama2cReader.HeaderBytes];
            int[] fields = [c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.TiedEmbeddings ? c.VocabSize : -c.VocabSize, c.MaxSeqLen];
            for (int i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header[(i * 4)..], fields[i]);
            s.Write(header);
            void Put(ReadOnlySpan<float> v) => s.Write(MemoryMarshal.AsBytes(v));
            void Mat(WeightTensor t, bool qk = false)
            {
                WriteMatrix(s, t, l, qk, DType.F32);
                Tick();
            }
            void Vec(float[] v)
            {
                Put(v);
                Tick();
            }
            Mat(w.TokenEmbedding);
            foreach (LayerWeights L in w.Layers) Vec(L.AttnNorm);
            foreach (LayerWeights L in w.Layers) Mat(L.Wq, true);
            foreach (LayerWeights L in w.Layers) Mat(L.Wk, true);
            foreach (LayerWeights L in w.Layers) Mat(L.Wv);
            foreach (LayerWeights L in w.Layers) Mat(L.Wo);
            foreach (LayerWeights L in w.Layers) Vec(L.FfnNorm);
            foreach (LayerWeights L in w.Layers) Mat(L.WGate);
            foreach (LayerWeights L in w.Layers) Mat(L.WDown);
            foreach (LayerWeights L in w.Layers) Mat(L.WUp);
            Vec(w.FinalNorm);
            // The RoPE tables llama2.c's export still writes (readers compute their own, but the layout expects them).
            int half = c.HeadDim / 2;
            float[] cos = new float[c.MaxSeqLen * half], sin = new float[c.MaxSeqLen * half];
            for (int p = 0; p < c.MaxSeqLen; p++)
                for (int i = 0; i < half; i++)
                {
                    double angle = p / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadDim);
                    cos[p * half + i] = (float)Math.Cos(angle);
                    sin[p * half + i] = (float)Math.Sin(angle);
                }
            Put(cos);
            Put(sin);
            if (!c.TiedEmbeddings) Mat(w.Output);
        });
        return new ConvertSummary(ConvertTarget.Llama2c, DType.F32, total, total, CarryLlama2cTokenizer(m, output), l.Permute);
    }

    private static ConvertSummary WriteHf(LoadedModel m, Layout l, string input, string output, DType type, Action<int, int>? progress)
    {
        LlamaConfig c = m.Config;
        var all = Tensors(m.Weights, TensorNaming.HuggingFace, c.TiedEmbeddings).ToList();
        bool carried = false;
        HfFolderWriter.WriteFolder(output, dir =>
        {
            string dtype = type switch { DType.F16 => "float16", DType.BF16 => "bfloat16", _ => "float32" };
            HfFolderWriter.WriteConfig(c, m.Tokenizer, Path.Combine(dir, "config.json"), dtype);
            SafetensorsWriter st = new();
            int done = 0;
            foreach (var t in all)
            {
                var tensor = t;
                void Written() => progress?.Invoke(++done, all.Count);
                if (t.Matrix != null)
                    st.Add(t.Name, type, [t.Matrix.Rows, t.Matrix.Cols], s =>
                    {
                        WriteMatrix(s, tensor.Matrix!, l, tensor.Qk, type);
                        Written();
                    });
                else
                    st.Add(t.Name, DType.F32, [t.Vector!.Length], s =>
                    {
                        s.Write(Encode(Entries(tensor.Vector!, l, tensor.Qk), DType.F32));
                        Written();
                    });
            }
            st.Write(Path.Combine(dir, "model.safetensors"));
            carried = CarryTokenizer(m, input, dir);
        });
        return new ConvertSummary(ConvertTarget.HuggingFace, type, all.Count, all.Count(t => t.Matrix != null || type == DType.F32), carried, l.Permute);
    }

    /// <summary>
    /// Copies the source's tokenizer files into the folder; a GGUF source's vocabulary, which has no files of its own,
    /// is written as tokenizer.json (byte-level BPE) or as a llama2.c tokenizer.bin (SentencePiece; Cria reads it from
    /// a HF folder).
    /// </summary>
    private static bool CarryTokenizer(LoadedModel m, string input, string dir)
    {
        if (m.Format == "hf")
        {
            if (!new[] { "tokenizer.json", "tokenizer.model", "tokenizer.bin" }.Any(f => File.Exists(Path.Combine(input, f)))) return false;
            HfFolderWriter.CopyTokenizer(input, dir);
            return true;
        }
        string srcDir = Path.GetDirectoryName(Path.GetFullPath(input))!;
        if (m.Format == "llama2c")
        {
            foreach (string name in new[] { "tokenizer.bin", $"tok{m.Config.VocabSize}.bin" })
            {
                string f = Path.Combine(srcDir, name);
                if (!File.Exists(f)) continue;
                File.Copy(f, Path.Combine(dir, "tokenizer.bin"), true);
                return true;
            }
            return false;
        }
        if ((m.Tokenizer is LoadedTokenizer lt ? lt.Tokenizer : m.Tokenizer) is ByteLevelBpeTokenizer bpe)
        {
            HfTokenizerJsonWriter.Write(bpe, dir, m.ChatTemplate);
            return true;
        }
        SentencePieceBpeTokenizer? sp = SentencePiece(m.Tokenizer);
        if (sp == null || sp.BosId != 1 || !sp.EosIds.Contains(2)) return false;
        WriteLlama2cTokenizer(sp, Path.Combine(dir, "tokenizer.bin"));
        return true;
    }

    /// <summary>
    /// llama2.c reads its tokenizer from a tokenizer.bin beside the checkpoint; one is written there unless the
    /// folder already has one (which is then what Cria and run.c will use). run.c fixes BOS = 1 and EOS = 2.
    /// </summary>
    private static bool CarryLlama2cTokenizer(LoadedModel m, string output)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(output))!;
        string path = Path.Combine(dir, "tokenizer.bin");
        if (File.Exists(path) || File.Exists(Path.Combine(dir, $"tok{m.Config.VocabSize}.bin"))) return false;
        SentencePieceBpeTokenizer? sp = SentencePiece(m.Tokenizer);
        if (sp == null || sp.BosId != 1 || !sp.EosIds.Contains(2)) return false;
        WriteLlama2cTokenizer(sp, path);
        return true;
    }

    private static void WriteLlama2cTokenizer(SentencePieceBpeTokenizer sp, string path)
    {
        using MemoryStream ms = new();
        using BinaryWriter w = new(ms);
        byte[][] pieces = Enumerable.Range(0, sp.VocabSize)
            .Select(i => Encoding.UTF8.GetBytes(sp.IdToPiece(i).Replace(SentencePieceBpeTokenizer.SpaceMark, ' '))).ToArray();
        w.Write(pieces.Max(p => p.Length));
        for (int i = 0; i < pieces.Length; i++)
        {
            w.Write(sp.ScoreOf(i));
            w.Write(pieces[i].Length);
            w.Write(pieces[i]);
        }
        w.Flush();
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Formats;

/// <summary>The checkpoint layout <see cref="ModelConverter"/> writes, chosen by the output path.</summary>
public enum ConvertTarget { Gguf, Llama2c, HuggingFace }

/// <summary>What <see cref="ModelConverter.Convert"/> wrote.</summary>
public sealed record ConvertSummary(ConvertTarget Target, DType Type, int Tensors, bool TokenizerCarried, bool QkPermuted);

/// <summary>
/// Rewrites any checkpoint <see cref="ModelLoader"/> reads as GGUF (path ending in .gguf), llama2.c v0 (.bin, F32 only)
/// or a Hugging Face folder (anything else). HF stores q/k rows in rotate-half order, GGUF and llama2.c in interleaved
/// pairs; rows are permuted per head when the source and target differ. Outputs are replaced atomically.
/// </summary>
public static unsafe class ModelConverter
{
    public static readonly string TypeNames = "f32, f16, bf16";

    public static DType ParseType(string name) => name.ToLowerInvariant() switch
    {
        "f32" => DType.F32,
        "f16" => DType.F16,
        "bf16" => DType.BF16,
        _ => throw new ArgumentException($"unknown --type '{name}' (expected one of {TypeNames})"),
    };

    public static ConvertTarget TargetOf(string output) =>
        output.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? ConvertTarget.Gguf
        : output.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) ? ConvertTarget.Llama2c
        : ConvertTarget.HuggingFace;

    /// <param name="progress">Called after each tensor with (tensors done, tensors in all).</param>
    public static ConvertSummary Convert(string input, string output, DType type = DType.F32, Action<int, int>? progress = null)
    {
        if (type is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"convert writes {TypeNames}, not {type} (use cria quantize for quantized types)");
        ConvertTarget target = TargetOf(output);
        if (target == ConvertTarget.Llama2c && type != DType.F32)
            throw new ArgumentException($"{output}: llama2.c .bin checkpoints hold F32 weights only, not {type} (use --type f32, or write .gguf or a folder)");
        string fullIn = Path.GetFullPath(input).TrimEnd(Path.DirectorySeparatorChar), fullOut = Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar);
        if (fullIn == fullOut) throw new ArgumentException($"{output}: the output would overwrite the input");

        using LoadedModel m = ModelLoader.Load(input, loadTokenizer: true);
        return Write(m, input, output, type, progress);
    }

    /// <summary>
    /// Writes a model that is already open (possibly built in memory, such as a lineage disguise) to
    /// <paramref name="output"/>; <paramref name="input"/> is where a Hugging Face target copies tokenizer files from.
    /// </summary>
    public static ConvertSummary Write(LoadedModel m, string input, string output, DType type = DType.F32, Action<int, int>? progress = null)
    {
        if (type is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"convert writes {TypeNames}, not {type} (use cria quantize for quantized types)");
        ConvertTarget target = TargetOf(output);
        if (target == ConvertTarget.Llama2c && type != DType.F32)
            throw new ArgumentException($"{output}: llama2.c .bin checkpoints hold F32 weights only, not {type} (use --type f32, or write .gguf or a folder)");
        LlamaConfig c = m.Config;
        if (c.AttentionBias) throw new ArgumentException($"{input}: models with attention biases (Qwen2) cannot be converted yet");
        RopeLayout want = target == ConvertTarget.HuggingFace ? RopeLayout.Halves : RopeLayout.Interleaved;
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

    /// <summary>A matrix as F32 rows, q/k reordered to the target's RoPE layout.</summary>
    private static float[] Rows(WeightTensor w, Layout l, bool qk)
    {
        float[] v = new float[w.Elements];
        for (int r = 0; r < w.Rows; r++) w.ReadRow(r, v.AsSpan(r * w.Cols, w.Cols));
        if (!qk || !l.Permute) return v;
        return l.Want == RopeLayout.Halves
            ? RopeRowOrder.ToRotateHalf(v, w.Rows, w.Cols, l.Config.HeadDim)
            : RopeRowOrder.ToInterleaved(v, w.Rows, w.Cols, l.Config.HeadDim);
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
        g.Set("general.architecture", "llama");
        g.Set("general.name", Path.GetFileNameWithoutExtension(output));
        g.Set("general.file_type", type switch { DType.F16 => 1u, DType.BF16 => 32u, _ => 0u });
        g.Set("llama.context_length", (uint)c.MaxSeqLen);
        g.Set("llama.embedding_length", (uint)c.Dim);
        g.Set("llama.block_count", (uint)c.Layers);
        g.Set("llama.feed_forward_length", (uint)c.HiddenDim);
        g.Set("llama.attention.head_count", (uint)c.Heads);
        g.Set("llama.attention.head_count_kv", (uint)c.KvHeads);
        if (c.HeadDim != c.Dim / c.Heads)
        {
            g.Set("llama.attention.key_length", (uint)c.HeadDim);
            g.Set("llama.attention.value_length", (uint)c.HeadDim);
        }
        g.Set("llama.rope.dimension_count", (uint)c.RopeDim);
        g.Set("llama.rope.freq_base", c.RopeTheta);
        g.Set("llama.attention.layer_norm_rms_epsilon", c.NormEps);
        g.Set("llama.vocab_size", (uint)c.VocabSize);
        if (c.RopeScaling.Type == RopeScalingType.Linear)
        {
            g.Set("llama.rope.scaling.type", "linear");
            g.Set("llama.rope.scaling.factor", c.RopeScaling.Factor);
        }

        SentencePieceBpeTokenizer? sp = SentencePiece(m.Tokenizer);
        if (sp != null)
        {
            int n = sp.VocabSize;
            g.Set("tokenizer.ggml.model", "llama");
            g.Set("tokenizer.ggml.tokens", Enumerable.Range(0, n).Select(sp.IdToPiece).ToArray());
            g.Set("tokenizer.ggml.scores", Enumerable.Range(0, n).Select(sp.ScoreOf).ToArray());
            g.Set("tokenizer.ggml.token_type", Enumerable.Range(0, n).Select(i => (int)sp.TypeOf(i)).ToArray());
            if (sp.BosId >= 0) g.Set("tokenizer.ggml.bos_token_id", (uint)sp.BosId);
            if (sp.EosIds.Count > 0) g.Set("tokenizer.ggml.eos_token_id", (uint)sp.EosIds[0]);
            if (sp.UnkId >= 0) g.Set("tokenizer.ggml.unknown_token_id", (uint)sp.UnkId);
            g.Set("tokenizer.ggml.add_bos_token", sp.AddBos);
            g.Set("tokenizer.ggml.add_space_prefix", sp.SpacePrefix != SpacePrefixMode.Never);
            if (m.ChatTemplate != null) g.Set("tokenizer.chat_template", m.ChatTemplate);
        }

        var all = Tensors(m.Weights, TensorNaming.Gguf, c.TiedEmbeddings).ToList();
        int done = 0;
        foreach (var t in all)
        {
            var tensor = t;
            DType stored = t.Matrix != null ? type : DType.F32;
            long[] ne = t.Matrix != null ? [t.Matrix.Cols, t.Matrix.Rows] : [t.Vector!.Length];
            g.AddTensor(t.Name, stored, ne, s =>
            {
                float[] v = tensor.Matrix != null ? Rows(tensor.Matrix, l, tensor.Qk) : tensor.Vector!;
                s.Write(Encode(v, stored));
                progress?.Invoke(++done, all.Count);
            });
        }
        if (m.Weights.RopeFreqFactors is float[] rf) g.AddTensor("rope_freqs.weight", DType.F32, [rf.Length], Encode(rf, DType.F32));
        g.Write(output);
        return new ConvertSummary(ConvertTarget.Gguf, type, all.Count, sp != null, l.Permute);
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
                Put(Rows(t, l, qk));
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
        return new ConvertSummary(ConvertTarget.Llama2c, DType.F32, total, false, l.Permute);
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
                if (t.Matrix != null) st.Add(t.Name, type, [t.Matrix.Rows, t.Matrix.Cols], Encode(Rows(t.Matrix, l, t.Qk), type));
                else st.Add(t.Name, DType.F32, [t.Vector!.Length], Encode(t.Vector, DType.F32));
                progress?.Invoke(++done, all.Count);
            }
            st.Write(Path.Combine(dir, "model.safetensors"));
            carried = CarryTokenizer(m, input, dir);
        });
        return new ConvertSummary(ConvertTarget.HuggingFace, type, all.Count, carried, l.Permute);
    }

    /// <summary>
    /// Copies the source's tokenizer files into the folder; a GGUF source's SentencePiece vocabulary, which has no
    /// files of its own, is written as a llama2.c tokenizer.bin (which Cria reads from a HF folder).
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
        SentencePieceBpeTokenizer? sp = SentencePiece(m.Tokenizer);
        if (sp == null || sp.BosId != 1 || !sp.EosIds.Contains(2)) return false;
        WriteLlama2cTokenizer(sp, Path.Combine(dir, "tokenizer.bin"));
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

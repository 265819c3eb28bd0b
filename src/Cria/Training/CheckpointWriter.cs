using System.Text.Json;
using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Training;

/// <summary>
/// Writes a <see cref="TrainableLlama"/> as a Hugging Face LlamaForCausalLM folder (config.json,
/// model.safetensors in F32, tokenizer files) that Cria, transformers and llama.cpp's converter read.
/// Interleaved-layout q/k rows (llama2.c/GGUF sources) are permuted to HF's rotate-half order. The folder
/// is built beside the target and swapped in with renames, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class CheckpointWriter
{
    public static void Write(TrainableLlama model, string outDir, string? tokenizerSource, ITokenizer? tokenizer, Action<string>? extraFiles = null) =>
        WriteFolder(outDir, tmp =>
        {
            WriteConfig(model.Config, tokenizer, Path.Combine(tmp, "config.json"));
            WriteWeights(model, Path.Combine(tmp, "model.safetensors"));
            if (tokenizerSource != null) CopyTokenizer(tokenizerSource, tmp);
            extraFiles?.Invoke(tmp);
        });

    /// <summary>
    /// Builds a folder beside <paramref name="outDir"/> with <paramref name="fill"/> and swaps it in with renames,
    /// so a crash leaves either the old folder or the new one, never a half-written one.
    /// </summary>
    public static void WriteFolder(string outDir, Action<string> fill)
    {
        string full = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}");
        string old = Path.Combine(parent, $".{Path.GetFileName(full)}.old-{Environment.ProcessId}");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(tmp, full);
            if (Directory.Exists(old)) Directory.Delete(old, true);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            throw;
        }
    }

    /// <summary>Writes a LlamaForCausalLM config.json for <paramref name="c"/>; <paramref name="torchDtype"/> names the stored weight type.</summary>
    public static void WriteConfig(LlamaConfig c, ITokenizer? tok, string path, string torchDtype = "float32")
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteStartArray("architectures");
            j.WriteStringValue("LlamaForCausalLM");
            j.WriteEndArray();
            j.WriteString("model_type", "llama");
            j.WriteNumber("hidden_size", c.Dim);
            j.WriteNumber("intermediate_size", c.HiddenDim);
            j.WriteNumber("num_hidden_layers", c.Layers);
            j.WriteNumber("num_attention_heads", c.Heads);
            j.WriteNumber("num_key_value_heads", c.KvHeads);
            j.WriteNumber("head_dim", c.HeadDim);
            j.WriteNumber("vocab_size", c.VocabSize);
            j.WriteNumber("max_position_embeddings", c.MaxSeqLen);
            j.WriteNumber("rms_norm_eps", c.NormEps);
            j.WriteNumber("rope_theta", c.RopeTheta);
            j.WriteBoolean("tie_word_embeddings", c.TiedEmbeddings);
            j.WriteBoolean("attention_bias", false);
            j.WriteString("hidden_act", "silu");
            j.WriteString("torch_dtype", torchDtype);
            if (c.RopeScaling.Type == RopeScalingType.Linear)
            {
                j.WriteStartObject("rope_scaling");
                j.WriteString("rope_type", "linear");
                j.WriteNumber("factor", c.RopeScaling.Factor);
                j.WriteEndObject();
            }
            else if (c.RopeScaling.Type == RopeScalingType.Llama3)
            {
                j.WriteStartObject("rope_scaling");
                j.WriteString("rope_type", "llama3");
                j.WriteNumber("factor", c.RopeScaling.Factor);
                j.WriteNumber("low_freq_factor", c.RopeScaling.LowFreqFactor);
                j.WriteNumber("high_freq_factor", c.RopeScaling.HighFreqFactor);
                j.WriteNumber("original_max_position_embeddings", c.RopeScaling.OriginalMaxPositions);
                j.WriteEndObject();
            }
            if (tok != null)
            {
                if (tok.BosId >= 0) j.WriteNumber("bos_token_id", tok.BosId);
                if (tok.EosIds.Count > 0) j.WriteNumber("eos_token_id", tok.EosIds[0]);
            }
            j.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }

    private static void WriteWeights(TrainableLlama model, string path)
    {
        LlamaConfig c = model.Config;
        bool permute = c.RopeLayout == RopeLayout.Interleaved;
        if (permute && c.RopeDim != c.HeadDim)
            throw new NotSupportedException("writing a partial-rotary interleaved model as a Hugging Face checkpoint is not supported");
        SafetensorsWriter w = new();
        foreach (ParameterTensor t in model.Parameters.Tensors)
        {
            float[] values = model.Parameters.ValueSpan(t).ToArray();
            bool isQ = t.Name.EndsWith("q_proj.weight", StringComparison.Ordinal), isK = t.Name.EndsWith("k_proj.weight", StringComparison.Ordinal);
            if (permute && (isQ || isK)) values = ToRotateHalf(values, t.Rows, t.Cols, c.HeadDim);
            long[] shape = t.IsMatrix ? [t.Rows, t.Cols] : [t.Cols];
            w.Add(t.Name, DType.F32, shape, values);
        }
        w.Write(path);
    }

    /// <summary>Reorders each head's rows from interleaved pairs (2i, 2i+1) to halves (i, i + hd/2).</summary>
    public static float[] ToRotateHalf(float[] rows, int nRows, int cols, int headDim)
    {
        float[] dst = new float[rows.Length];
        int half = headDim / 2;
        for (int r = 0; r < nRows; r++)
        {
            int h = r / headDim, within = r % headDim;
            int i = within / 2, j = within % 2;
            int to = h * headDim + j * half + i;
            Array.Copy(rows, (long)r * cols, dst, (long)to * cols, cols);
        }
        return dst;
    }

    /// <summary>Inverse of <see cref="ToRotateHalf"/>.</summary>
    public static float[] ToInterleaved(float[] rows, int nRows, int cols, int headDim)
    {
        float[] dst = new float[rows.Length];
        int half = headDim / 2;
        for (int r = 0; r < nRows; r++)
        {
            int h = r / headDim, within = r % headDim;
            int i = within / 2, j = within % 2;
            Array.Copy(rows, (long)(h * headDim + j * half + i) * cols, dst, (long)r * cols, cols);
        }
        return dst;
    }

    /// <summary>
    /// Copies the tokenizer into the checkpoint: a Hugging Face folder's tokenizer files, a SentencePiece
    /// .model as tokenizer.model, a tokenizer.json, or a llama2.c tokenizer.bin (which Cria reads beside a HF folder).
    /// </summary>
    public static void CopyTokenizer(string source, string dir)
    {
        if (Directory.Exists(source))
        {
            bool any = false;
            foreach (string name in new[] { "tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "tokenizer.bin" })
            {
                string f = Path.Combine(source, name);
                if (!File.Exists(f)) continue;
                File.Copy(f, Path.Combine(dir, name), true);
                any |= name is "tokenizer.json" or "tokenizer.model" or "tokenizer.bin";
            }
            if (!any) throw new CriaFormatException(source, "tokenizer", "the folder has no tokenizer.json, tokenizer.model or tokenizer.bin to copy into the checkpoint");
            return;
        }
        string ext = Path.GetExtension(source).ToLowerInvariant();
        string target = ext switch
        {
            ".model" => "tokenizer.model",
            ".json" => "tokenizer.json",
            ".bin" => "tokenizer.bin",
            _ => throw new CriaFormatException(source, "tokenizer", "cannot be copied into a Hugging Face checkpoint (give --tokenizer a tokenizer.json, tokenizer.model or llama2.c tokenizer.bin)"),
        };
        File.Copy(source, Path.Combine(dir, target), true);
    }
}

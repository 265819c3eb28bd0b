using System.Text.Json;
using Cria.Model;
using Cria.Text;

namespace Cria.Formats;

/// <summary>The parts of a Hugging Face LlamaForCausalLM folder that do not depend on where the weights come from.</summary>
public static class HfFolderWriter
{
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

    /// <summary>
    /// Tidies up after a process killed inside <see cref="WriteFolder"/>: puts the folder back if the kill came between
    /// the two renames (the only moment it is not under its name), then removes the temporary and set-aside folders
    /// of processes that no longer run. Returns whether it restored the folder.
    /// </summary>
    public static bool RecoverInterruptedSwap(string outDir)
    {
        string full = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return false;
        string name = Path.GetFileName(full);
        List<string> dead = Directory.EnumerateDirectories(parent, $".{name}.*-*")
            .Where(d => Path.GetFileName(d).StartsWith($".{name}.tmp-", StringComparison.Ordinal) || Path.GetFileName(d).StartsWith($".{name}.old-", StringComparison.Ordinal))
            .Where(d => int.TryParse(d[(d.LastIndexOf('-') + 1)..], out int pid) && !IsRunning(pid)).ToList();
        bool restored = false;
        if (!Directory.Exists(full))
        {
            string? old = dead.Where(d => Path.GetFileName(d).StartsWith($".{name}.old-", StringComparison.Ordinal))
                .OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault();
            if (old != null)
            {
                Directory.Move(old, full);
                dead.Remove(old);
                restored = true;
            }
        }
        foreach (string d in dead) Directory.Delete(d, true);
        return restored;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using System.Diagnostics.Process p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Writes a LlamaForCausalLM (Qwen2ForCausalLM with q/k/v biases) config.json for <paramref name="c"/>; <paramref name="torchDtype"/> names the stored weight type.</summary>
    public static void WriteConfig(LlamaConfig c, ITokenizer? tok, string path, string torchDtype = "float32")
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            // q/k/v biases without an o_proj bias are Qwen2's layout; LlamaForCausalLM's attention_bias would add one.
            bool qwen2 = c.AttentionBias;
            j.WriteStartArray("architectures");
            j.WriteStringValue(qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM");
            j.WriteEndArray();
            j.WriteString("model_type", qwen2 ? "qwen2" : "llama");
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
            j.WriteBoolean("attention_bias", c.AttentionBias);
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

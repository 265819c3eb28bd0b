using System.Runtime.InteropServices;
using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Text;

namespace Cria.Training;

/// <summary>
/// Writes a <see cref="TrainableLlama"/> as a Hugging Face LlamaForCausalLM (Qwen2ForCausalLM with q/k/v biases) folder (config.json,
/// model.safetensors in F32, tokenizer files) that Cria, transformers and llama.cpp's converter read.
/// Interleaved-layout q/k rows and biases (llama2.c/GGUF sources) are permuted to HF's rotate-half order. The folder
/// is built beside the target and swapped in with renames, so a crash never leaves a half-written checkpoint.
/// </summary>
public static class CheckpointWriter
{
    public static void Write(TrainableLlama model, string outDir, string? tokenizerSource, ITokenizer? tokenizer, Action<string>? extraFiles = null) =>
        HfFolderWriter.WriteFolder(outDir, tmp =>
        {
            HfFolderWriter.WriteConfig(model.Config, tokenizer, Path.Combine(tmp, "config.json"));
            WriteWeights(model, Path.Combine(tmp, "model.safetensors"));
            if (tokenizerSource != null) HfFolderWriter.CopyTokenizer(tokenizerSource, tmp);
            extraFiles?.Invoke(tmp);
        });

    private static void WriteWeights(TrainableLlama model, string path)
    {
        LlamaConfig c = model.Config;
        bool permute = c.RopeLayout == RopeLayout.Interleaved;
        if (permute && c.RopeDim != c.HeadDim)
            throw new NotSupportedException("writing a partial-rotary interleaved model as a Hugging Face checkpoint is not supported");
        HashSet<ParameterTensor> ropeOrdered = model.Layers.SelectMany(l => l.RopeOrdered).ToHashSet();
        SafetensorsWriter w = new();
        foreach (ParameterTensor t in model.Parameters.Tensors)
        {
            ParameterTensor tensor = t;
            int rows = t.IsMatrix ? t.Rows : t.Cols, cols = t.IsMatrix ? t.Cols : 1;
            long[] shape = t.IsMatrix ? [t.Rows, t.Cols] : [t.Cols];
            // Written straight from the parameter buffer while the file is written; only q/k rows (and their biases) need a reordered copy.
            if (permute && ropeOrdered.Contains(t))
                w.Add(t.Name, DType.F32, shape, s => s.Write(MemoryMarshal.AsBytes(RopeRowOrder.ToRotateHalf(model.Parameters.ValueSpan(tensor).ToArray(), rows, cols, c.HeadDim).AsSpan())));
            else
                w.Add(t.Name, DType.F32, shape, s => s.Write(MemoryMarshal.AsBytes(model.Parameters.ValueSpan(tensor))));
        }
        w.Write(path);
    }

}

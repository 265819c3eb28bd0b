using Cria.Formats;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>A GGUF copied with its matrices re-quantized to one type, as a mixed-type GGUF from llama-quantize is.</summary>
internal static class QuantizedGguf
{
    /// <summary>Matrices whose rows fit the type's block size become <paramref name="type"/>; everything else F32.</summary>
    public static unsafe void Write(string src, string dst, DType type)
    {
        using GgufFile g = GgufFile.Open(src);
        GgufWriter w = new();
        foreach (var kv in g.Metadata) w.Set(kv.Key, kv.Value);
        foreach (GgufTensorInfo t in g.Tensors)
        {
            float[] values = new float[t.Elements];
            Dequantize.Row(t.Type, g.TensorData(t), values);
            DType target = t.Shape.Length == 2 && t.Shape[0] % type.BlockSize() == 0 ? type : DType.F32;
            byte[] data = new byte[target.ByteCount(t.Elements)];
            fixed (byte* p = data) Quantize.Row(target, values, p);
            w.AddTensor(t.Name, target, t.Shape, data);
        }
        w.Write(dst);
    }
}

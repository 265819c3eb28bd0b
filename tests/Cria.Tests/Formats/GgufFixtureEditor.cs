using Cria.Formats;
using Cria.Tensors;

namespace Cria.Tests.Formats;

/// <summary>Rewrites a GGUF with edits (metadata changed, tensors dropped or duplicated) to make broken inputs.</summary>
internal static class GgufFixtureEditor
{
    public static unsafe GgufWriter Copy(string source, Func<string, bool>? keepTensor = null)
    {
        using GgufFile g = GgufFile.Open(source);
        GgufWriter w = new();
        foreach (var kv in g.Metadata) w.Set(kv.Key, kv.Value);
        foreach (GgufTensorInfo t in g.Tensors)
        {
            if (keepTensor != null && !keepTensor(t.Name)) continue;
            byte[] data = new ReadOnlySpan<byte>(g.TensorData(t), (int)t.ByteSize).ToArray();
            w.AddTensor(t.Name, t.Type, t.Shape, data);
        }
        return w;
    }

    public static void AddZeros(GgufWriter w, string name, DType type, long[] ne)
    {
        long bytes = type.ByteCount(ne[0]) * (ne.Aggregate(1L, (a, b) => a * b) / ne[0]);
        w.AddTensor(name, type, ne, new byte[bytes]);
    }
}

using System.Text;

namespace Cria.Tests.Text;

/// <summary>Writes a GGUF v3 file with metadata only (no tensors), for tokenizer tests.</summary>
internal static class GgufMetadataWriter
{
    public static void Write(string path, IReadOnlyList<(string Key, object Value)> metadata)
    {
        using BinaryWriter w = new(File.Create(path), Encoding.UTF8);
        w.Write(Encoding.ASCII.GetBytes("GGUF"));
        w.Write(3u);
        w.Write(0UL); // tensors
        w.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(w, key);
            switch (value)
            {
                case string s: w.Write(8u); WriteString(w, s); break;
                case uint u: w.Write(4u); w.Write(u); break;
                case int i: w.Write(5u); w.Write(i); break;
                case bool b: w.Write(7u); w.Write((byte)(b ? 1 : 0)); break;
                case string[] a:
                    w.Write(9u); w.Write(8u); w.Write((ulong)a.Length);
                    foreach (string s in a) WriteString(w, s);
                    break;
                case int[] a:
                    w.Write(9u); w.Write(5u); w.Write((ulong)a.Length);
                    foreach (int x in a) w.Write(x);
                    break;
                case float[] a:
                    w.Write(9u); w.Write(6u); w.Write((ulong)a.Length);
                    foreach (float x in a) w.Write(x);
                    break;
                default: throw new ArgumentException($"unsupported value type {value.GetType()}");
            }
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }
}

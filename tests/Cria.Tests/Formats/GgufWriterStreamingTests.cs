using Cria.Formats;
using Cria.Tensors;

namespace Cria.Tests.Formats;

public class GgufWriterStreamingTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 3 * 5 * sizeof(float)).Select(i => (byte)i).ToArray();

    private static GgufWriter Writer() => new GgufWriter().Set("general.architecture", "llama").Set("general.alignment", 64u);

    [Fact]
    public void Streamed_tensors_give_the_same_file_as_buffered_ones()
    {
        using TempDir dir = new();
        Writer().AddTensor("a", DType.F32, [5, 3], Data).AddTensor("b", DType.F32, [5, 3], Data).Write(dir.File("buffered.gguf"));
        Writer()
            .AddTensor("a", DType.F32, [5, 3], s => s.Write(Data))
            .AddTensor("b", DType.F32, [5, 3], s =>
            {
                foreach (byte b in Data) s.WriteByte(b);
            })
            .Write(dir.File("streamed.gguf"));

        Assert.Equal(File.ReadAllBytes(dir.File("buffered.gguf")), File.ReadAllBytes(dir.File("streamed.gguf")));
        using GgufFile g = GgufFile.Open(dir.File("streamed.gguf"));
        Assert.Equal(2, g.Tensors.Count);
    }

    [Fact]
    public void A_stream_callback_that_writes_the_wrong_length_fails_and_leaves_no_file()
    {
        using TempDir dir = new();
        GgufWriter w = Writer().AddTensor("a", DType.F32, [5, 3], s => s.Write(Data, 0, Data.Length - 4));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => w.Write(dir.File("short.gguf")));
        Assert.Contains("a:", e.Message);
        Assert.False(File.Exists(dir.File("short.gguf")));
    }
}

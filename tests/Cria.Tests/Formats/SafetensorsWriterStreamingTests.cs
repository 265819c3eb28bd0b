using Cria.Formats;
using Cria.Tensors;

namespace Cria.Tests.Formats;

/// <summary>The safetensors writer takes each tensor's bytes from a callback while it writes, so nothing is buffered.</summary>
public class SafetensorsWriterStreamingTests
{
    [Fact]
    public unsafe void Streamed_tensors_give_the_same_file_as_buffered_ones_and_read_back()
    {
        using TempDir dir = new();
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [-1.5f, 0.25f];
        new SafetensorsWriter().Add("a", DType.F32, [2, 3], a).Add("b", DType.BF16, [2], b).Write(dir.File("buffered.safetensors"));
        new SafetensorsWriter()
            .Add("a", DType.F32, [2, 3], s =>
            {
                foreach (float v in a) s.Write(BitConverter.GetBytes(v));
            })
            .Add("b", DType.BF16, [2], s => s.Write([0xC0, 0xBF, 0x80, 0x3E]))
            .Write(dir.File("streamed.safetensors"));

        Assert.Equal(File.ReadAllBytes(dir.File("buffered.safetensors")), File.ReadAllBytes(dir.File("streamed.safetensors")));
        using MappedFile map = MappedFile.Open(dir.File("streamed.safetensors"));
        Dictionary<string, TensorEntry> t = SafetensorsFile.Read(map);
        float[] back = new float[6];
        Dequantize.Row(t["a"].Type, t["a"].Pointer, back);
        Assert.Equal(a, back);
        Assert.Equal([2L, 3L], t["a"].Shape);
        Assert.Equal(DType.BF16, t["b"].Type);
    }

    [Fact]
    public void Tensors_are_produced_one_at_a_time_while_writing_never_held()
    {
        using TempDir dir = new();
        const int tensors = 8, rows = 1024, cols = 1024; // 4 MiB of F32 each, 32 MiB in all
        float[] row = new float[cols];
        byte[] rowBytes = new byte[cols * sizeof(float)];
        List<int> order = new();
        SafetensorsWriter w = new();
        for (int i = 0; i < tensors; i++)
        {
            int index = i;
            w.Add($"t{i}", DType.F32, [rows, cols], s =>
            {
                order.Add(index);
                for (int r = 0; r < rows; r++)
                {
                    row.AsSpan().Fill(index + r);
                    Buffer.BlockCopy(row, 0, rowBytes, 0, rowBytes.Length);
                    s.Write(rowBytes);
                }
            });
        }
        Assert.Empty(order);
        long before = GC.GetAllocatedBytesForCurrentThread();
        w.Write(dir.File("big.safetensors"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Enumerable.Range(0, tensors), order);
        // The file's buffer and the header only: far less than one tensor, let alone the 32 MiB written.
        Assert.True(allocated < 2 << 20, $"{allocated} bytes allocated while writing");
        Assert.InRange(new FileInfo(dir.File("big.safetensors")).Length - tensors * (long)rows * cols * sizeof(float), 8, 1024);
    }

    [Fact]
    public void A_callback_that_writes_the_wrong_length_fails_and_keeps_the_old_file()
    {
        using TempDir dir = new();
        string path = dir.File("m.safetensors");
        File.WriteAllText(path, "old");
        SafetensorsWriter w = new SafetensorsWriter().Add("a", DType.F32, [4], s => s.Write(new byte[12]));
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => w.Write(path));
        Assert.Contains("a: 12 bytes written, 16 expected", e.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
        Assert.Throws<ArgumentException>(() => w.Add("a", DType.F32, [1], s => s.Write(new byte[4])));
        Assert.Throws<ArgumentException>(() => w.Add("q", DType.Q8_0, [32], s => { }));
    }
}

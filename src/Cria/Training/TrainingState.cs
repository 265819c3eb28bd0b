using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Training;

/// <summary>
/// What a checkpoint folder needs beyond the weights to continue a run exactly: the run's settings and
/// step, the data sampler's position, the layout the weights were trained in (training_state.json), and
/// the AdamW moments (optimizer.bin: magic, count, step, M, V, SHA-256 of everything before it).
/// </summary>
public sealed class TrainingState
{
    public const string StateName = "training_state.json";
    public const string OptimizerName = "optimizer.bin";
    private static readonly byte[] Magic = "CRIAOPT1"u8.ToArray();

    /// <summary>Floats per read or write of the moments (16 MiB); tests pass a small slice to cross its boundaries.</summary>
    private const int DefaultSlice = 1 << 22;

    public required JsonObject Settings { get; init; }
    public required long Step { get; init; }
    public required ulong DataState { get; init; }
    public required string RopeLayout { get; init; }

    public void Write(string dir, AdamW optimizer) => Write(dir, optimizer, DefaultSlice);

    internal void Write(string dir, AdamW optimizer, int sliceFloats)
    {
        JsonObject o = new()
        {
            ["format"] = "cria-training-state",
            ["version"] = 1,
            ["step"] = Step,
            ["data_state"] = DataState.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["rope_layout"] = RopeLayout,
            ["settings"] = Settings.DeepClone(),
        };
        AtomicFile.WriteAllBytes(Path.Combine(dir, StateName), JsonSerializer.SerializeToUtf8Bytes(o, new JsonSerializerOptions { WriteIndented = true }));
        AtomicFile.Write(Path.Combine(dir, OptimizerName), s =>
        {
            using IncrementalHash h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Put(ReadOnlySpan<byte> b)
            {
                s.Write(b);
                h.AppendData(b);
            }
            Put(Magic);
            Put(BitConverter.GetBytes((long)optimizer.M.Length));
            Put(BitConverter.GetBytes(optimizer.Step));
            // In slices: a byte span of a whole moment array overflows past 2^29 parameters.
            foreach (float[] moments in new[] { optimizer.M, optimizer.V })
                for (int i = 0; i < moments.Length; i += sliceFloats)
                    Put(MemoryMarshal.AsBytes(moments.AsSpan(i, Math.Min(sliceFloats, moments.Length - i))));
            s.Write(h.GetHashAndReset());
        });
    }

    public static TrainingState Read(string dir)
    {
        string path = Path.Combine(dir, StateName);
        if (!File.Exists(path)) throw new CriaFormatException(dir, StateName, "is missing: not a folder written by cria train, or written with --steps 0");
        try
        {
            JsonObject o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CriaFormatException(path, "json", "is not an object");
            if ((string?)o["format"] != "cria-training-state") throw new CriaFormatException(path, "format", "is not 'cria-training-state'");
            return new TrainingState
            {
                Step = (long?)o["step"] ?? throw new CriaFormatException(path, "step", "is missing"),
                DataState = ulong.Parse((string?)o["data_state"] ?? throw new CriaFormatException(path, "data_state", "is missing"), System.Globalization.CultureInfo.InvariantCulture),
                RopeLayout = (string?)o["rope_layout"] ?? "halves",
                Settings = o["settings"] as JsonObject ?? throw new CriaFormatException(path, "settings", "is missing"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new CriaFormatException(path, "json", e.Message);
        }
    }

    /// <summary>
    /// Streams the moments into <paramref name="optimizer"/> in slices (any model size, no whole-file buffer), hashing
    /// as it reads; on a size or checksum error it throws, and the moments read so far must not be used.
    /// </summary>
    public static void ReadOptimizer(string dir, AdamW optimizer) => ReadOptimizer(dir, optimizer, DefaultSlice);

    internal static void ReadOptimizer(string dir, AdamW optimizer, int sliceFloats)
    {
        string path = Path.Combine(dir, OptimizerName);
        if (!File.Exists(path)) throw new CriaFormatException(dir, OptimizerName, "is missing");
        long count = optimizer.M.Length;
        long expected = Magic.Length + 16 + count * 8 + 32;
        long actual = new FileInfo(path).Length;
        if (actual != expected) throw new CriaFormatException(path, "size", $"is {actual} bytes, expected {expected} for {count} parameters (corrupt, or from another model)");
        using FileStream f = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using IncrementalHash h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Take(Span<byte> b)
        {
            f.ReadExactly(b);
            h.AppendData(b);
        }
        Span<byte> header = stackalloc byte[24];
        Take(header);
        if (!header[..Magic.Length].SequenceEqual(Magic)) throw new CriaFormatException(path, "magic", "is not CRIAOPT1");
        if (BitConverter.ToInt64(header[8..]) != count) throw new CriaFormatException(path, "count", "does not match the model's parameter count");
        long step = BitConverter.ToInt64(header[16..]);
        foreach (float[] moments in new[] { optimizer.M, optimizer.V })
            for (int i = 0; i < moments.Length; i += sliceFloats)
                Take(MemoryMarshal.AsBytes(moments.AsSpan(i, Math.Min(sliceFloats, moments.Length - i))));
        Span<byte> stored = stackalloc byte[32];
        f.ReadExactly(stored);
        if (!h.GetHashAndReset().AsSpan().SequenceEqual(stored)) throw new CriaFormatException(path, "checksum", "does not match: the file is corrupt");
        optimizer.Step = step;
    }
}

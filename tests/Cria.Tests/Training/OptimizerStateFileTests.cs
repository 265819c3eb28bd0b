using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Model;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>
/// optimizer.bin is written and read in slices (no whole-file buffer, so models past ~268M parameters resume):
/// moments and step come back bit for bit whatever the slice size, and damage is refused by size or checksum.
/// </summary>
public class OptimizerStateFileTests
{
    private static AdamW Filled(TrainableLlama m, int seed)
    {
        AdamW opt = new(m.Parameters, new AdamWOptions());
        Random rng = new(seed);
        for (int i = 0; i < opt.M.Length; i++)
        {
            opt.M[i] = (float)rng.NextDouble() - 0.5f;
            opt.V[i] = (float)rng.NextDouble();
        }
        opt.Step = 1234;
        return opt;
    }

    [Theory]
    [InlineData(1 << 22, 1 << 22)]
    [InlineData(1000, 4093)]
    [InlineData(4093, 1000)]
    public void MomentsRoundTripAcrossSliceSizes(int writeSlice, int readSlice)
    {
        LlamaConfig c = new LlamaConfig { Dim = 32, HiddenDim = 40, Layers = 2, Heads = 2, KvHeads = 1, VocabSize = 300, MaxSeqLen = 16 }.Normalize("test");
        TrainableLlama m = new(c);
        AdamW saved = Filled(m, 1);
        Assert.True(saved.M.Length > 3 * 4093, "the model must span several slices");
        TrainingState state = new() { Settings = new JsonObject(), Step = 1234, DataState = 5, RopeLayout = "halves" };
        using TempDir tmp = new();
        state.Write(tmp.Path, saved, writeSlice);

        AdamW loaded = new(m.Parameters, new AdamWOptions());
        TrainingState.ReadOptimizer(tmp.Path, loaded, readSlice);
        Assert.Equal(1234, loaded.Step);
        Assert.Equal(saved.M, loaded.M);
        Assert.Equal(saved.V, loaded.V);

        string path = Path.Combine(tmp.Path, TrainingState.OptimizerName);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[^100] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<CriaFormatException>(() => TrainingState.ReadOptimizer(tmp.Path, loaded, readSlice)).Message);
        File.WriteAllBytes(path, bytes[..^4]);
        Assert.Contains("size", Assert.Throws<CriaFormatException>(() => TrainingState.ReadOptimizer(tmp.Path, loaded, readSlice)).Message);
    }
}

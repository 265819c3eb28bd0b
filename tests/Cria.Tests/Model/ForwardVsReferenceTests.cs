using Cria.Generation;
using Cria.Model;

namespace Cria.Tests.Model;

/// <summary>The engine against the naive float64 reference on random models covering every architectural option.</summary>
public class ForwardVsReferenceTests
{
    private static LlamaConfig Config(int dim = 48, int heads = 6, int kvHeads = 2, bool bias = false, bool tied = false,
        RopeLayout layout = RopeLayout.Interleaved, RopeScaling? scaling = null, int ropeDim = 0, int headDim = 0) => new LlamaConfig
        {
            Dim = dim,
            HiddenDim = 67,
            Layers = 2,
            Heads = heads,
            KvHeads = kvHeads,
            HeadDim = headDim,
            RopeDim = ropeDim,
            VocabSize = 101,
            MaxSeqLen = 64,
            AttentionBias = bias,
            TiedEmbeddings = tied,
            RopeLayout = layout,
            RopeTheta = 500000f,
            RopeScaling = scaling ?? new RopeScaling(RopeScalingType.None),
        }.Normalize("test");

    public static TheoryData<string> Cases => new()
    {
        "plain", "gqa+bias", "tied", "halves", "llama3-scaling", "linear-scaling", "partial-rope", "head_dim≠dim/heads", "mha",
        "head_dim 16", "head_dim 32",
    };

    private static LlamaConfig ConfigFor(string name) => name switch
    {
        "plain" => Config(),
        "gqa+bias" => Config(bias: true),
        "tied" => Config(tied: true),
        "halves" => Config(layout: RopeLayout.Halves),
        "llama3-scaling" => Config(scaling: new RopeScaling(RopeScalingType.Llama3, 8f, 1f, 4f, 16)),
        "linear-scaling" => Config(scaling: new RopeScaling(RopeScalingType.Linear, 4f)),
        "partial-rope" => Config(ropeDim: 4, layout: RopeLayout.Halves),
        "head_dim≠dim/heads" => Config(headDim: 12),
        "mha" => Config(heads: 4, kvHeads: 4),
        // Head sizes that take the 512- and 256-bit attention paths (8 and 12 take the narrower ones).
        "head_dim 16" => Config(heads: 4, kvHeads: 2, headDim: 16),
        "head_dim 32" => Config(heads: 2, kvHeads: 1, headDim: 32, layout: RopeLayout.Halves),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Prefill_and_decode_match_the_float64_reference(string name)
    {
        LlamaConfig c = ConfigFor(name);
        using LlamaWeights w = RandomModel.Create(c, seed: name.Length * 7919);
        int[] tokens = [1, 17, 42, 99, 3, 3, 64, 0, 100, 55, 23, 9, 77];
        double[][] expected = ReferenceForward.Logits(c, w, tokens);

        using LlamaModel model = new(c, w) { MaxBatch = 5 }; // chunked prefill crosses chunk boundaries
        using KvCache cache = model.CreateCache();
        float[] all = new float[tokens.Length * c.VocabSize];
        model.Forward(tokens, cache, all, allLogits: true);
        for (int t = 0; t < tokens.Length; t++)
            for (int v = 0; v < c.VocabSize; v++)
                Assert.True(Math.Abs(all[t * c.VocabSize + v] - expected[t][v]) <= 1e-4, $"{name}: prefill t={t} v={v}: {all[t * c.VocabSize + v]} vs {expected[t][v]}");

        using KvCache cache2 = model.CreateCache();
        float[] one = new float[c.VocabSize];
        for (int t = 0; t < tokens.Length; t++)
        {
            model.Forward([tokens[t]], cache2, one);
            for (int v = 0; v < c.VocabSize; v++)
                Assert.True(Math.Abs(one[v] - expected[t][v]) <= 1e-4, $"{name}: decode t={t} v={v}");
        }
    }

    [Fact]
    public void Llama3_scaling_keeps_high_frequencies_and_slows_low_ones()
    {
        LlamaConfig plain = Config(dim: 128, heads: 2, kvHeads: 2);
        LlamaConfig scaled = plain with { RopeScaling = new RopeScaling(RopeScalingType.Llama3, 8f, 1f, 4f, 8192) };
        float[] a = Rope.InverseFrequencies(plain, null), b = Rope.InverseFrequencies(scaled, null);
        for (int i = 0; i < a.Length; i++)
        {
            double wavelen = 2 * Math.PI / a[i];
            if (wavelen < 8192 / 4.0) Assert.Equal(a[i], b[i]);
            else if (wavelen > 8192 / 1.0) Assert.Equal(a[i] / 8f, b[i], 1e-12f);
            else Assert.InRange(b[i], a[i] / 8f, a[i]);
        }
    }

    [Fact]
    public void Context_overflow_is_an_error_not_a_crash()
    {
        LlamaConfig c = Config() with { MaxSeqLen = 8 };
        using LlamaWeights w = RandomModel.Create(c, 1);
        using LlamaModel model = new(c, w);
        using KvCache cache = model.CreateCache();
        float[] logits = new float[c.VocabSize];
        Assert.Throws<InvalidOperationException>(() => model.Forward(new int[9], cache, logits));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([c.VocabSize], cache, logits));
    }
}

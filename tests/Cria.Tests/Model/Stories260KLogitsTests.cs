using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;

namespace Cria.Tests.Model;

/// <summary>Logits of stories260K in every format against run.c's dump (must-show 3 of the engine issue).</summary>
[Collection("simd")]
public class Stories260KLogitsTests
{
    public static TheoryData<string> Formats => new()
    {
        "models/stories260K/stories260K.bin",
        "models/stories260K-hf",
        "models/gguf/stories260K/stories260K.gguf",
    };

    internal static int[] PromptIds() => File.ReadAllText(Fixtures.Path_("reference/stories260K/logits_prompt_once_upon_a_time.ids"))
        .Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    internal static float[] ReferenceLogits()
    {
        byte[] raw = File.ReadAllBytes(Fixtures.Path_("reference/stories260K/logits_prompt_once_upon_a_time.run_c.f32"));
        float[] f = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, f, 0, raw.Length);
        return f;
    }

    [SkippableTheory]
    [MemberData(nameof(Formats))]
    public void Prefill_logits_match_run_c(string relative)
    {
        int[] ids = PromptIds();
        float[] expected = ReferenceLogits();
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(relative), loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache();
        float[] logits = new float[ids.Length * m.Config.VocabSize];
        model.Forward(ids, cache, logits, allLogits: true);
        Assert.Equal(expected.Length, logits.Length);
        Assert.True(MaxAbsDiff(expected, logits) <= 1e-4f, $"max abs diff {MaxAbsDiff(expected, logits)}");
    }

    [SkippableTheory]
    [MemberData(nameof(Formats))]
    public void Token_by_token_decode_matches_run_c(string relative)
    {
        int[] ids = PromptIds();
        float[] expected = ReferenceLogits();
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_(relative), loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache();
        int vocab = m.Config.VocabSize;
        float[] logits = new float[vocab];
        for (int i = 0; i < ids.Length; i++)
        {
            model.Forward([ids[i]], cache, logits);
            Assert.True(MaxAbsDiff(expected.AsSpan(i * vocab, vocab), logits) <= 1e-4f, $"position {i}");
        }
    }

    [SkippableTheory]
    [InlineData(SimdLevel.Scalar)]
    [InlineData(SimdLevel.V128)]
    [InlineData(SimdLevel.V256)]
    [InlineData(SimdLevel.V512)]
    public void Every_simd_path_agrees_within_1e5(SimdLevel level)
    {
        Skip.If(level > Simd.Detected, $"{level} is not supported by this CPU");
        int[] ids = PromptIds();
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"), loadTokenizer: false);
        float[] Run()
        {
            using LlamaModel model = new(m);
            using KvCache cache = model.CreateCache();
            float[] logits = new float[ids.Length * m.Config.VocabSize];
            model.Forward(ids, cache, logits, allLogits: true);
            return logits;
        }
        float[] scalar;
        float[] vector;
        lock (SimdTestLock.Gate)
        {
            SimdLevel previous = Simd.Override(SimdLevel.Scalar);
            try
            {
                scalar = Run();
                Simd.Override(level);
                vector = Run();
            }
            finally
            {
                Simd.Override(previous);
            }
        }
        // Paths differ only in summation order; 1e-5 relative to each logit's size (logits here reach ~20).
        for (int i = 0; i < scalar.Length; i++)
            Assert.True(Math.Abs(scalar[i] - vector[i]) <= 1e-5f * Math.Max(1f, Math.Abs(scalar[i])), $"{level} vs scalar at {i}: {scalar[i]} vs {vector[i]}");
    }

    internal static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}

internal static class SimdTestLock
{
    public static readonly object Gate = new();
}

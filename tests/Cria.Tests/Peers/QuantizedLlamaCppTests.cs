using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Cria.Tensors;
using Cria.Tests.Model;
using Xunit.Abstractions;

namespace Cria.Tests.Peers;

/// <summary>
/// stories260K quantized by Cria to Q8_0 / Q4_0 (the matrices whose rows fit the block; the rest F32), then run by both
/// Cria and llama.cpp: both round the activations to int8 blocks before these products, so the logits agree to well
/// within 1e-2 (observed: 1e-6, float32 summation order only) and greedy decoding picks the same 64 tokens.
/// </summary>
public class QuantizedLlamaCppTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];
    private const int Continuation = 64;
    private const double Tolerance = 1e-2;

    [SkippableTheory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q4_0)]
    public void Logits_and_greedy_ids_match_llama_cpp(DType type)
    {
        string src = Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
        using TempDir d = new();
        string path = d.File($"stories260K-{type}.gguf");
        QuantizedGguf.Write(src, path, type);

        using LlamaCppPeer peer = LlamaCppPeer.Open(path, 128);
        float[] expected = peer.AllLogits(Prompt);
        int[] expectedIds = peer.Greedy(Prompt, Continuation);

        float[] actual = LogitsComparison.PromptLogitsAndGreedy(path, Prompt, Continuation, out int[] ids);
        int vocab = peer.VocabSize;
        double[] diff = LogitsComparison.MaxAbsDiffPerRow(expected, actual, vocab);
        output.WriteLine($"{type}: max |logit| {expected.Max(Math.Abs):F3}; max |Cria - llama.cpp| per position: {string.Join(", ", diff.Select(x => x.ToString("E2")))}");
        for (int i = 0; i < diff.Length; i++)
            Assert.True(diff[i] <= Tolerance, $"{type} position {i}: max abs difference {diff[i]:E3} exceeds {Tolerance:E1}");

        output.WriteLine($"{type}: {string.Join(" ", ids)}");
        Assert.Equal(expectedIds, ids);
    }
}

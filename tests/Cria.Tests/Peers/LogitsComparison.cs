using Cria.Formats;
using Cria.Generation;
using Cria.Model;

namespace Cria.Tests.Peers;

internal static class LogitsComparison
{
    /// <summary>The first index of the largest value, the tie rule of llama.cpp's and Cria's greedy samplers.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>
    /// Cria's greedy continuation: <paramref name="logits"/> hold the last prompt position's logits (overwritten), each
    /// argmax is fed back through <paramref name="cache"/>, as the peers' greedy loops do.
    /// </summary>
    public static int[] ContinueGreedy(LlamaModel model, KvCache cache, float[] logits, int count)
    {
        int[] ids = new int[count];
        for (int g = 0; g < count; g++)
        {
            ids[g] = ArgMax(logits);
            model.Forward([ids[g]], cache, logits);
        }
        return ids;
    }

    /// <summary>
    /// Cria's logits at every prompt position of the model at <paramref name="path"/> (rows of the vocabulary size),
    /// and its greedy continuation of <paramref name="continuation"/> ids after the prompt.
    /// </summary>
    public static float[] PromptLogitsAndGreedy(string path, int[] prompt, int continuation, out int[] greedy)
    {
        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(128);
        int vocab = m.Config.VocabSize;
        float[] all = new float[prompt.Length * vocab];
        model.Forward(prompt, cache, all, allLogits: true);
        float[] last = all.AsSpan((prompt.Length - 1) * vocab, vocab).ToArray();
        greedy = ContinueGreedy(model, cache, last, continuation);
        return all;
    }

    /// <summary>Largest |a - b| in each row of <paramref name="width"/> values.</summary>
    public static double[] MaxAbsDiffPerRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width)
    {
        if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} and {b.Length}");
        double[] rows = new double[a.Length / width];
        for (int i = 0; i < a.Length; i++) rows[i / width] = Math.Max(rows[i / width], Math.Abs((double)a[i] - b[i]));
        return rows;
    }
}

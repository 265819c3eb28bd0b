using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// Mean cross-entropy over n tokens of [n, vocab] logits. Backward overwrites the logits with
/// scale·(softmax − onehot), where scale is 1/n (divided further for gradient accumulation).
/// </summary>
public static unsafe class CrossEntropyOp
{
    /// <summary>Per-token losses into <paramref name="losses"/>; returns their mean, summed in token order.</summary>
    public static float Forward(WorkerPool pool, float* logits, ReadOnlySpan<int> targets, int vocab, float[] losses)
    {
        int n = targets.Length;
        int[] tg = targets.ToArray();
        nint pl = (nint)logits;
        pool.For(n, t =>
        {
            float* row = (float*)pl + (long)t * vocab;
            float max = float.NegativeInfinity;
            for (int i = 0; i < vocab; i++) max = MathF.Max(max, row[i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += MathF.Exp(row[i] - max);
            losses[t] = (float)(Math.Log(sum) + max - row[tg[t]]);
        });
        double total = 0;
        for (int t = 0; t < n; t++) total += losses[t];
        return (float)(total / n);
    }

    public static void Backward(WorkerPool pool, float* logits, ReadOnlySpan<int> targets, int vocab, float scale)
    {
        int[] tg = targets.ToArray();
        nint pl = (nint)logits;
        pool.For(tg.Length, t =>
        {
            float* row = (float*)pl + (long)t * vocab;
            float max = float.NegativeInfinity;
            for (int i = 0; i < vocab; i++) max = MathF.Max(max, row[i]);
            double sum = 0;
            for (int i = 0; i < vocab; i++) sum += MathF.Exp(row[i] - max);
            float inv = (float)(1 / sum);
            for (int i = 0; i < vocab; i++) row[i] = MathF.Exp(row[i] - max) * inv * scale;
            row[tg[t]] -= scale;
        });
    }
}

using System.Numerics.Tensors;
using Cria.Tensors;

namespace Cria.Training;

/// <summary>
/// Mean cross-entropy over n tokens of [n, vocab] logits. Backward overwrites the logits with
/// scale·(softmax − onehot), where scale is 1/n (divided further for gradient accumulation).
/// </summary>
public static unsafe class CrossEntropyOp
{
    [ThreadStatic] private static float[]? _row;

    private static Span<float> Scratch(int vocab) => (_row is { } r && r.Length >= vocab ? r : _row = new float[vocab]).AsSpan(0, vocab);

    /// <summary>Per-token losses into <paramref name="losses"/>; returns their mean, summed in token order.</summary>
    public static float Forward(WorkerPool pool, float* logits, ReadOnlySpan<int> targets, int vocab, float[] losses)
    {
        int n = targets.Length;
        int[] tg = targets.ToArray();
        nint pl = (nint)logits;
        pool.For(n, t =>
        {
            Span<float> row = new((float*)pl + (long)t * vocab, vocab), e = Scratch(vocab);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, e);
            TensorPrimitives.Exp(e, e);
            double sum = TensorPrimitives.Sum<float>(e);
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
            Span<float> row = new((float*)pl + (long)t * vocab, vocab);
            float max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            float sum = TensorPrimitives.Sum<float>(row);
            TensorPrimitives.Multiply(row, scale / sum, row);
            row[tg[t]] -= scale;
        });
    }
}

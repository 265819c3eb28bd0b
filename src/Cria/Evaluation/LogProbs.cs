namespace Cria.Evaluation;

/// <summary>
/// Log-probabilities from float32 logits, accumulated in float64 so that sums over long continuations and
/// vocabularies of 100k+ entries do not lose the digits the comparisons with other tools need.
/// </summary>
public static class LogProbs
{
    /// <summary>log softmax(logits)[token], and whether token is the (first) argmax of the row.</summary>
    public static (double LogProb, bool IsGreedy) Of(ReadOnlySpan<float> logits, int token)
    {
        int argmax = 0;
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > max)
            {
                max = logits[i];
                argmax = i;
            }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp((double)logits[i] - max);
        double lp = (double)logits[token] - max - Math.Log(sum);
        // Ties count as greedy, as the harness compares argmax with the token and torch picks the first maximum.
        return (lp, argmax == token || logits[token] == max);
    }
}

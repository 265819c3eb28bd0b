namespace Cria.Evaluation;

/// <summary>The harness's rolling windows for perplexity, made disjoint: each token is predicted exactly once.</summary>
public static class RollingWindows
{
    /// <summary>
    /// (context, predicted) pairs. The first window predicts up to <paramref name="maxLength"/> tokens after the
    /// prefix token; each later window predicts the next up to maxLength tokens and is conditioned on the tokens
    /// just before them that fill its input to maxLength: a full window on the previous token only, the last,
    /// shorter one on more.
    /// </summary>
    public static IEnumerable<(int[] Context, int[] Predicted)> Disjoint(int[] tokens, int prefixToken, int maxLength)
    {
        if (tokens.Length == 0) yield break;
        int first = Math.Min(maxLength, tokens.Length);
        yield return ([prefixToken], tokens[..first]);
        int predicted = first;
        while (predicted < tokens.Length)
        {
            int n = Math.Min(tokens.Length - predicted, maxLength);
            int context = maxLength - n + 1;
            yield return (tokens[(predicted - context)..predicted], tokens[predicted..(predicted + n)]);
            predicted += n;
        }
    }
}

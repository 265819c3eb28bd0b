using Cria.Text;

namespace Cria.Evaluation;

/// <summary>Token ids of a (context, continuation) request after the harness's boundary rule.</summary>
public sealed record EncodedPair(int[] Context, int[] Continuation)
{
    /// <summary>
    /// lm-evaluation-harness's rule: trailing whitespace of the context moves to the front of the
    /// continuation; the continuation's ids are the tail of encode(context + continuation) beyond the length of
    /// encode(context). An empty context is replaced by the prefix token (BOS, else EOS).
    /// </summary>
    public static EncodedPair Encode(ITokenizer tokenizer, string context, string continuation, bool addBos = false)
    {
        if (context.Length == 0)
            return new EncodedPair([PrefixToken(tokenizer)], tokenizer.Encode(continuation, addBos));
        int trimmed = context.TrimEnd().Length;
        if (trimmed < context.Length)
        {
            continuation = context[trimmed..] + continuation;
            context = context[..trimmed];
        }
        int[] whole = tokenizer.Encode(context + continuation, addBos);
        int[] ctx = tokenizer.Encode(context, addBos);
        int[] cont = whole.Length > ctx.Length ? whole[ctx.Length..] : [];
        return new EncodedPair(ctx, cont);
    }

    /// <summary>The token that stands for "no context": BOS where the vocabulary has one, else the first EOS.</summary>
    public static int PrefixToken(ITokenizer tokenizer)
    {
        if (tokenizer.BosId >= 0) return tokenizer.BosId;
        if (tokenizer.EosIds.Count > 0) return tokenizer.EosIds[0];
        throw new InvalidOperationException("the tokenizer has neither a BOS nor an EOS token to stand for an empty context");
    }
}

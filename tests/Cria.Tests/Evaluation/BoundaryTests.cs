using Cria.Evaluation;
using Cria.Formats;
using Cria.Model;
using Cria.Text;

namespace Cria.Tests.Evaluation;

/// <summary>Must-show 2: the harness's tokenization boundary cases, on stories260K's SentencePiece vocabulary.</summary>
public class BoundaryTests
{
    private static LoadedModel Load() => ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));

    private static string Decode(ITokenizer tok, int previous, int[] ids)
    {
        List<byte> bytes = [];
        foreach (int id in ids)
        {
            bytes.AddRange(tok.TokenBytes(id, previous));
            previous = id;
        }
        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }

    [SkippableFact]
    public void Trailing_space_of_the_context_moves_to_the_continuation()
    {
        using LoadedModel m = Load();
        ITokenizer tok = m.Tokenizer!;
        EncodedPair p = EncodedPair.Encode(tok, "Question: Is the sky blue?\nAnswer: ", "yes");
        Assert.Equal(tok.Encode("Question: Is the sky blue?\nAnswer:", false), p.Context);
        int[] whole = tok.Encode("Question: Is the sky blue?\nAnswer: yes", false);
        Assert.Equal(whole[p.Context.Length..], p.Continuation);
        Assert.Equal(" yes", Decode(tok, p.Context[^1], p.Continuation));
        // Same request as the one without the trailing space and with the space on the continuation.
        Assert.Equal(EncodedPair.Encode(tok, "Question: Is the sky blue?\nAnswer:", " yes"), p, new PairComparer());
        // Several trailing whitespace characters move together.
        EncodedPair q = EncodedPair.Encode(tok, "Once upon a time \n", "there");
        Assert.Equal(tok.Encode("Once upon a time", false), q.Context);
        Assert.Equal(" \nthere", Decode(tok, q.Context[^1], q.Continuation));
    }

    [SkippableFact]
    public void Empty_context_is_the_prefix_token_and_scores_like_the_reference()
    {
        using LoadedModel m = Load();
        ITokenizer tok = m.Tokenizer!;
        EncodedPair p = EncodedPair.Encode(tok, "", "Once upon a time");
        Assert.Equal([tok.BosId], p.Context);
        Assert.Equal(tok.Encode("Once upon a time", false), p.Continuation);
        using LlamaModel model = new(m);
        using Scorer scorer = new(model, tok, 64);
        LoglikelihoodResult r = scorer.Loglikelihood("", "Once upon a time");
        (double ll, bool greedy) = new NaiveHarness(m, 64).Loglikelihood("", "Once upon a time");
        Assert.InRange(r.LogLikelihood - ll, -1e-9, 1e-9);
        Assert.Equal(greedy, r.IsGreedy);
        Assert.True(r.LogLikelihood < 0);
    }

    [SkippableFact]
    public void Continuation_starting_with_a_newline_keeps_it()
    {
        using LoadedModel m = Load();
        ITokenizer tok = m.Tokenizer!;
        EncodedPair p = EncodedPair.Encode(tok, "The cat sat.", "\nThe dog ran.");
        Assert.Equal(tok.Encode("The cat sat.", false), p.Context);
        Assert.Equal("\nThe dog ran.", Decode(tok, p.Context[^1], p.Continuation));
        using LlamaModel model = new(m);
        using Scorer scorer = new(model, tok, 64);
        LoglikelihoodResult r = scorer.Loglikelihood("The cat sat.", "\nThe dog ran.");
        (double ll, _) = new NaiveHarness(m, 64).Loglikelihood("The cat sat.", "\nThe dog ran.");
        Assert.InRange(r.LogLikelihood - ll, -1e-9, 1e-9);
    }

    [SkippableFact]
    public void Long_inputs_are_cut_on_the_left_to_the_window()
    {
        using LoadedModel m = Load();
        string context = string.Concat(Enumerable.Repeat("Tom and Lily played in the park. ", 12));
        using LlamaModel model = new(m);
        using Scorer scorer = new(model, m.Tokenizer!, 32);
        LoglikelihoodResult r = scorer.Loglikelihood(context, "They were happy.");
        (double ll, bool greedy) = new NaiveHarness(m, 32).Loglikelihood(context, "They were happy.");
        Assert.InRange(r.LogLikelihood - ll, -1e-9, 1e-9);
        Assert.Equal(greedy, r.IsGreedy);
    }

    private sealed class PairComparer : IEqualityComparer<EncodedPair>
    {
        public bool Equals(EncodedPair? x, EncodedPair? y) => x!.Context.SequenceEqual(y!.Context) && x.Continuation.SequenceEqual(y.Continuation);

        public int GetHashCode(EncodedPair obj) => obj.Context.Length;
    }
}

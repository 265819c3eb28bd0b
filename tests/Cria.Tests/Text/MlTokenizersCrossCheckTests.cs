using Cria.Text;
using Microsoft.ML.Tokenizers;

namespace Cria.Tests.Text;

/// <summary>
/// Microsoft.ML.Tokenizers' LlamaTokenizer as an independent reader of tokenizer.model. It is not used for
/// encoding (see SentencePieceModelReader) because with the model's normalizer on it departs from run.c and
/// llama.cpp; these tests pin down both facts.
/// </summary>
public class MlTokenizersCrossCheckTests
{
    public static TheoryData<string, string> Models => new()
    {
        { "tok512", "models/stories260K/tok512.model" },
        { "llama2_32000", "models/llama2-tokenizer/tokenizer.model" },
    };

    private static LlamaTokenizer Open(string relative)
    {
        using FileStream s = File.OpenRead(Fixtures.Path_(relative));
        return LlamaTokenizer.Create(s, addBeginOfSentence: true, addEndOfSentence: false);
    }

    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void Agrees_with_our_reader_when_fed_pre_escaped_text_without_normalization(string vocab, string relative)
    {
        LlamaTokenizer ml = Open(relative);
        ITokenizer ours = TokenizerLoader.FromSentencePieceModel(Fixtures.Path_(relative));
        Assert.Equal(ours.VocabSize, ml.Vocabulary.Count);
        foreach (EncodeReference.Case c in EncodeReference.For(vocab).Where(c => c.Text.Length > 0))
        {
            string escaped = "\u2581" + c.Text.Replace(' ', '\u2581');
            int[] theirs = ml.EncodeToIds(escaped, true, false, considerPreTokenization: true, considerNormalization: false).ToArray();
            Assert.Equal(ours.Encode(c.Text, addBos: true), theirs);
        }
    }

    [SkippableFact]
    public void With_its_normalizer_it_collapses_spaces_unlike_run_c()
    {
        LlamaTokenizer ml = Open("models/stories260K/tok512.model");
        ITokenizer ours = TokenizerLoader.FromSentencePieceModel(Fixtures.Path_("models/stories260K/tok512.model"));
        EncodeReference.Case c = EncodeReference.For("tok512").Single(c => c.Text == "a  b");
        Assert.Equal(c.RunC, ours.Encode(c.Text, addBos: true));
        Assert.Equal([1, 261, 268], ml.EncodeToIds(c.Text, true, false).ToArray());
        Assert.NotEqual(c.RunC, ml.EncodeToIds(c.Text, true, false).ToArray());
        Assert.Empty(ml.EncodeToIds("", true, false)); // run.c gives [BOS]
    }
}

using System.Diagnostics;
using System.Text;
using Cria.Formats;
using Cria.Text;
using Xunit.Abstractions;

namespace Cria.Tests.Text;

/// <summary>Sanity checks that encoding is not quadratic: 100 KB goes through in one piece, with no assertion on time.</summary>
public class TokenizerPerformanceTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Encodes_100KB_of_text_with_the_32000_vocabulary()
    {
        using GgufFile gguf = GgufFile.Open(Fixtures.Path_("models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf"));
        ITokenizer tok = TokenizerLoader.FromGguf(gguf);
        string text = File.ReadAllText(Fixtures.Path_("data/text/tiny_shakespeare.txt"))[..100_000];
        tok.Encode(text[..1000], addBos: true); // warm-up

        Stopwatch sw = Stopwatch.StartNew();
        int[] ids = tok.Encode(text, addBos: true);
        sw.Stop();
        output.WriteLine($"100 KB → {ids.Length} tokens in {sw.Elapsed.TotalMilliseconds:F0} ms");

        Assert.InRange(ids.Length, 20_000, 40_000);
        Assert.Equal(text, SentencePieceDecodeTests.Decode(tok, ids));
    }

    [SkippableFact]
    public void Long_runs_of_one_character_stay_fast()
    {
        using GgufFile gguf = GgufFile.Open(Fixtures.Path_("models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf"));
        ITokenizer tok = TokenizerLoader.FromGguf(gguf);
        string text = new StringBuilder().Append(' ', 50_000).Append('a', 50_000).ToString();
        Stopwatch sw = Stopwatch.StartNew();
        int[] ids = tok.Encode(text, addBos: false);
        output.WriteLine($"100 KB of two repeated characters → {ids.Length} tokens in {sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(text, SentencePieceDecodeTests.Decode(tok, ids)[1..]);
    }
}

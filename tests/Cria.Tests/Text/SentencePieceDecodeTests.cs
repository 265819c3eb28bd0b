using System.Text;
using Cria.Formats;
using Cria.Text;

namespace Cria.Tests.Text;

public class SentencePieceDecodeTests
{
    internal static string Decode(ITokenizer tok, IReadOnlyList<int> ids)
    {
        List<byte> bytes = new();
        int prev = -1;
        foreach (int id in ids)
        {
            bytes.AddRange(tok.TokenBytes(id, prev));
            prev = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public static TheoryData<string> Sources => new()
    {
        "models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf",
        "models/llama2-tokenizer/tokenizer.model",
        "models/stories260K/tok512.bin",
        "models/gguf/stories260K/stories260K.gguf",
    };

    private static LoadedTokenizer Open(string relative)
    {
        string path = Fixtures.Path_(relative);
        return relative.EndsWith(".bin", StringComparison.Ordinal) ? TokenizerLoader.FromLlama2cBin(path, 512) : TokenizerLoader.Load(path);
    }

    [SkippableTheory]
    [MemberData(nameof(Sources))]
    public void Decode_of_encode_gives_the_text_back(string relative)
    {
        ITokenizer tok = Open(relative);
        foreach (EncodeReference.Case c in EncodeReference.Load().Where(c => c.Vocab == (tok.VocabSize == 512 ? "tok512" : "llama2_32000")))
        {
            int[] ids = tok.Encode(c.Text, addBos: true);
            Assert.Equal(c.Text, Decode(tok, ids));
        }
    }

    [SkippableFact]
    public void Byte_fallback_tokens_decode_to_their_bytes()
    {
        ITokenizer tok = Open("models/llama2-tokenizer/tokenizer.model");
        int[] ids = tok.Encode("☃", addBos: false); // ▁ then the three bytes E2 98 83
        Assert.Equal([29871, 229, 155, 134], ids);
        Assert.Equal([0xE2], tok.TokenBytes(229, 29871));
        Assert.Equal("<0xE2>", tok.IdToPiece(229));
        Assert.Equal(" ☃", Decode(tok, ids));
    }

    [SkippableFact]
    public void First_piece_after_BOS_loses_its_space_as_run_c_prints_it()
    {
        ITokenizer tok = Open("models/stories260K/tok512.bin");
        int once = tok.Encode("Once", addBos: false)[0];
        Assert.Equal("\u2581Once", tok.IdToPiece(once));
        Assert.Equal("Once", Encoding.UTF8.GetString(tok.TokenBytes(once, tok.BosId)));
        Assert.Equal(" Once", Encoding.UTF8.GetString(tok.TokenBytes(once, -1)));
        Assert.Equal(" Once", Encoding.UTF8.GetString(tok.TokenBytes(once, 261)));
    }

    [SkippableFact]
    public void Control_tokens_print_nothing()
    {
        ITokenizer tok = Open("models/gguf/ggml-vocab-llama-spm/ggml-vocab-llama-spm.gguf");
        Assert.True(tok.IsControl(1));
        Assert.True(tok.IsControl(2));
        Assert.False(tok.IsControl(0));
        Assert.False(tok.IsControl(450));
        Assert.Empty(tok.TokenBytes(1, -1));
        Assert.Empty(tok.TokenBytes(2, 450));
        Assert.Equal(1, tok.PieceToId("<s>"));
        Assert.Equal(-1, tok.PieceToId("no such piece"));
    }

    [SkippableFact]
    public void Llama2c_bin_and_gguf_hold_the_same_vocabulary()
    {
        ITokenizer bin = Open("models/stories260K/tok512.bin");
        using GgufFile gguf = GgufFile.Open(Fixtures.Path_("models/gguf/stories260K/stories260K.gguf"));
        var fromGguf = (SentencePieceBpeTokenizer)TokenizerLoader.FromGguf(gguf).Tokenizer;
        var fromBin = (SentencePieceBpeTokenizer)((LoadedTokenizer)bin).Tokenizer;
        Assert.Equal(fromGguf.VocabSize, fromBin.VocabSize);
        for (int i = 0; i < fromBin.VocabSize; i++)
        {
            Assert.Equal(fromGguf.IdToPiece(i), fromBin.IdToPiece(i));
            Assert.Equal(fromGguf.TypeOf(i), fromBin.TypeOf(i));
            Assert.Equal(fromGguf.ScoreOf(i), fromBin.ScoreOf(i));
        }
    }
}

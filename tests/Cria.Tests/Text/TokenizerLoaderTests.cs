using Cria.Text;

namespace Cria.Tests.Text;

public class TokenizerLoaderTests
{
    [SkippableFact]
    public void Hf_folder_with_tokenizer_model_reads_its_config_files()
    {
        LoadedTokenizer tok = TokenizerLoader.FromHfFolder(Fixtures.Path_("models/stories260K-hf"));
        Assert.IsType<SentencePieceBpeTokenizer>(tok.Tokenizer);
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal(1, tok.BosId);
        Assert.Equal([2], tok.EosIds);
        Assert.True(tok.AddBos);
        Assert.Null(tok.ChatTemplateSource);
        foreach (EncodeReference.Case c in EncodeReference.For("tok512"))
            Assert.Equal(c.RunC, tok.Encode(c.Text, addBos: true));
    }

    [SkippableTheory]
    [InlineData("models/stories260K-hf", "SentencePiece BPE")]
    [InlineData("models/stories260K/tok512.model", "SentencePiece BPE")]
    [InlineData("models/stories260K/tok512.bin", "llama2.c")]
    [InlineData("models/gguf/stories260K/stories260K.gguf", "GGUF llama")]
    public void Load_dispatches_on_what_the_path_is(string relative, string kind)
    {
        LoadedTokenizer tok = TokenizerLoader.Load(Fixtures.Path_(relative));
        Assert.Contains(kind, tok.Source);
        Assert.Equal(512, tok.VocabSize); // tokenizer.bin without a size hint is read to its end
        Assert.Equal([1, 403, 407, 261, 378], tok.Encode("Once upon a time", addBos: true));
    }

    [Fact]
    public void Hf_folder_collects_eos_ids_and_the_chat_template()
    {
        using TempDir dir = new();
        dir.File("tokenizer.json", TinyByteLevelVocab.TokenizerJson(TinyByteLevelVocab.Gpt2PreTokenizer));
        dir.File("tokenizer_config.json", """
            { "bos_token": null, "eos_token": { "content": "<|endoftext|>", "special": true },
              "chat_template": [ { "name": "tool_use", "template": "x" },
                                 { "name": "default", "template": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}" } ] }
            """);
        dir.File("config.json", """{ "eos_token_id": 265, "bos_token_id": 264 }""");
        dir.File("generation_config.json", """{ "eos_token_id": [264, 266] }""");

        LoadedTokenizer tok = TokenizerLoader.Load(dir.Path);
        Assert.Equal(-1, tok.BosId); // bos_token: null wins over config.json's bos_token_id
        Assert.False(tok.AddBos);
        Assert.Equal([264, 265, 266], tok.EosIds.Order());
        Assert.StartsWith("{% for message", tok.ChatTemplateSource);
        Assert.Equal("chatml", tok.DetectChatTemplate()!.Name);

        dir.File("chat_template.jinja", "{{ bos_token }}[INST] <<SYS>> …");
        Assert.Equal("llama2", TokenizerLoader.Load(dir.File("tokenizer.json")).DetectChatTemplate()!.Name);
    }

    [Fact]
    public void Missing_tokenizer_in_folder_is_a_format_error()
    {
        using TempDir dir = new();
        var e = Assert.Throws<Cria.Formats.CriaFormatException>(() => TokenizerLoader.FromHfFolder(dir.Path));
        Assert.Equal(dir.Path, e.FilePath);
    }
}

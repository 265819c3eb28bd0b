using System.Text;
using System.Text.Json;
using Cria.Text;
using Microsoft.ML.Tokenizers;

namespace Cria.Tests.Text;

/// <summary>
/// The byte-level BPE trainer: merges worked out by hand on tiny corpora, the written tokenizer.json read back by
/// Cria (exact round trip) and by Microsoft.ML.Tokenizers (same ids), and byte-identical output for the same text.
/// </summary>
public class BpeTrainerTests
{
    /// <summary>Mixed text: contractions, digits, punctuation, runs of spaces and newlines, accents, CJK and an emoji.</summary>
    private static readonly string[] Corpus = BuildCorpus();

    private static string[] BuildCorpus()
    {
        string[] names = ["Tom", "Lily", "Ben", "Mia", "Zoé", "Ana"];
        string[] things = ["ball", "cat", "red kite", "big tree", "little boat", "café"];
        List<string> docs = [];
        for (int i = 0; i < 120; i++)
        {
            string n = names[i % names.Length], t = things[(i * 7) % things.Length];
            docs.Add($"Once upon a time, {n} saw a {t}. {n} said: \"I'll keep it!\" It was {i * 13 % 97} days old.\n" +
                $"They'd played   together  {i % 5} times; it's fun.\n\n  {n}'s {t} is here 日本 🙂 — the end.");
        }
        return [.. docs];
    }

    private static BpeVocabulary TrainOn(IEnumerable<string> docs, int vocab, int minFrequency = 2, params string[] specials)
    {
        BpeTrainer t = new(vocab, specials.Length > 0 ? specials : ["<s>", "</s>"]) { MinFrequency = minFrequency };
        foreach (string d in docs) t.AddDocument(d);
        return t.Train();
    }

    [Fact]
    public void First_merges_of_a_hand_checked_corpus()
    {
        // Words "ab", " ab" ×2, " abc": (a,b) 4 times, then (Ġ,ab) 3 times; (Ġab,c) once is below the default floor of 2.
        BpeVocabulary v = TrainOn(["ab ab ab abc"], 400);
        Assert.Equal([("a", "b"), ("Ġ", "ab")], v.Merges);
        Assert.Equal(2 + 256 + 2, v.Tokens.Count);
        Assert.Equal("ab", v.Tokens[258]);
        Assert.Equal("Ġab", v.Tokens[259]);

        // Ties go to the smaller left id, then the smaller right id: Ġ (byte 0x20) before a (0x61), and the
        // original bytes before the new token Ġc.
        BpeVocabulary ties = TrainOn(["ab cd"], 400, minFrequency: 1);
        Assert.Equal([("Ġ", "c"), ("a", "b"), ("Ġc", "d")], ties.Merges);
    }

    [Fact]
    public void Stops_at_the_vocabulary_size_and_refuses_one_below_the_byte_alphabet()
    {
        BpeVocabulary v = TrainOn(Corpus, 2 + 256 + 10);
        Assert.Equal(268, v.Tokens.Count);
        Assert.Equal(10, v.Merges.Count);
        Assert.Throws<ArgumentException>(() => new BpeTrainer(257, ["<s>", "</s>"]));
        Assert.Throws<ArgumentException>(() => new BpeTrainer(300, ["<s>", "<s>"]));
    }

    [Fact]
    public void Special_tokens_in_the_text_separate_words_and_are_not_learned()
    {
        BpeVocabulary v = TrainOn(["xy<|endoftext|>xy<|endoftext|>xy"], 400, 2, "<|endoftext|>");
        Assert.Equal([("x", "y")], v.Merges);
        Assert.Equal("<|endoftext|>", v.BosToken);
        Assert.Equal("<|endoftext|>", v.EosToken);
    }

    [Fact]
    public void Cria_loads_the_written_tokenizer_and_round_trips_text_exactly()
    {
        using TempDir tmp = new();
        TrainOn(Corpus, 400).Save(tmp.Path);
        LoadedTokenizer loaded = TokenizerLoader.Load(tmp.Path);
        ITokenizer tok = loaded.Tokenizer;
        Assert.IsType<ByteLevelBpeTokenizer>(tok);
        Assert.Equal(400, tok.VocabSize);
        Assert.Equal(0, tok.BosId);
        Assert.Equal([1], tok.EosIds);
        Assert.True(tok.AddBos);

        string[] samples = [.. Corpus.Take(5), "Unseen: Ωμέγα ∑ 12345 \t tabs\r\nand CRLF, ünïcödé 🚀🚀", " leading space", "", "x</s>y"];
        foreach (string text in samples)
        {
            int[] ids = tok.Encode(text, addBos: true);
            Assert.Equal(0, ids[0]);
            byte[] back = [.. ids.Skip(1).SelectMany(id => tok.TokenBytes(id, -1))];
            Assert.Equal(Encoding.UTF8.GetBytes(text), back);
        }
        // Common words became single tokens: training did something.
        Assert.Single(tok.Encode(" upon", addBos: false));
        Assert.Equal([tok.PieceToId("x"), 1, tok.PieceToId("y")], tok.Encode("x</s>y", addBos: false, parseSpecial: true));
    }

    [Fact]
    public void Microsoft_ML_Tokenizers_gives_the_same_ids_from_the_written_vocabulary_and_merges()
    {
        using TempDir tmp = new();
        // GPT-2's own special token, a single one serving as BOS and EOS.
        TrainOn(Corpus, 390, 2, "<|endoftext|>").Save(tmp.Path);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tmp.Path, "tokenizer.json")));
        JsonElement model = doc.RootElement.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Dictionary<string, int> vocab = [];
        foreach (JsonProperty p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();
        List<string> merges = [.. model.GetProperty("merges").EnumerateArray().Select(m => m[0].GetString() + " " + m[1].GetString())];
        Dictionary<string, int> specials = new() { ["<|endoftext|>"] = 0 };
        BpeTokenizer ml = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = specials,
            // GPT-2's pre-tokenizer regex, written out here rather than taken from Cria.
            PreTokenizer = new RegexPreTokenizer(new System.Text.RegularExpressions.Regex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"), specials),
        });

        ITokenizer ours = TokenizerLoader.Load(tmp.Path).Tokenizer;
        string[] samples = [.. Corpus.Skip(40).Take(10), "Unseen words: quixotic zephyr, numbers 2026 and 7, it's they'll we've.", "Zoé's café: 日本 🙂🙂", "a<|endoftext|>b"];
        int compared = 0;
        foreach (string text in samples)
        {
            int[] expected = [.. ml.EncodeToIds(text)];
            Assert.Equal(expected, ours.Encode(text, addBos: false, parseSpecial: true));
            compared += expected.Length;
        }
        Assert.True(compared > 300, $"only {compared} ids compared");
    }

    [Fact]
    public void Same_text_gives_the_same_bytes_whatever_the_document_order()
    {
        byte[] a = TrainOn(Corpus, 380).TokenizerJson();
        byte[] b = TrainOn(Corpus, 380).TokenizerJson();
        Assert.Equal(a, b);
        Assert.Equal(a, TrainOn(Corpus.Reverse(), 380).TokenizerJson());
    }
}

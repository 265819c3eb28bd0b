using System.Text.Json;
using Cria.Text;

namespace Cria.Formats;

/// <summary>
/// Writes a byte-level BPE tokenizer (for instance one read from a GGUF <c>gpt2</c> vocabulary) as a Hugging Face
/// tokenizer.json (BPE model, Split regexes then ByteLevel, added tokens) plus tokenizer_config.json (bos/eos tokens,
/// add_bos_token, chat template), so a converted Hugging Face folder carries it.
/// </summary>
public static class HfTokenizerJsonWriter
{
    public static void Write(ByteLevelBpeTokenizer t, string dir, string? chatTemplate)
    {
        AtomicFile.WriteAllBytes(Path.Combine(dir, "tokenizer.json"), Json(j =>
        {
            j.WriteString("version", "1.0");
            j.WriteNull("truncation");
            j.WriteNull("padding");
            j.WriteStartArray("added_tokens");
            for (int id = 0; id < t.VocabSize; id++)
            {
                if (!IsAdded(t.TypeOf(id))) continue;
                j.WriteStartObject();
                j.WriteNumber("id", id);
                j.WriteString("content", t.IdToPiece(id));
                j.WriteBoolean("single_word", false);
                j.WriteBoolean("lstrip", false);
                j.WriteBoolean("rstrip", false);
                j.WriteBoolean("normalized", false);
                j.WriteBoolean("special", t.TypeOf(id) != TokenType.UserDefined);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteNull("normalizer");
            j.WriteStartObject("pre_tokenizer");
            j.WriteString("type", "Sequence");
            j.WriteStartArray("pretokenizers");
            foreach (string regex in t.PreTokenizerRegexes)
            {
                j.WriteStartObject();
                j.WriteString("type", "Split");
                j.WriteStartObject("pattern");
                j.WriteString("Regex", regex);
                j.WriteEndObject();
                j.WriteString("behavior", "Isolated");
                j.WriteBoolean("invert", false);
                j.WriteEndObject();
            }
            j.WriteStartObject();
            j.WriteString("type", "ByteLevel");
            j.WriteBoolean("add_prefix_space", t.AddPrefixSpace);
            j.WriteBoolean("trim_offsets", true);
            j.WriteBoolean("use_regex", false);
            j.WriteEndObject();
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteNull("post_processor");
            j.WriteStartObject("decoder");
            j.WriteString("type", "ByteLevel");
            j.WriteBoolean("add_prefix_space", true);
            j.WriteBoolean("trim_offsets", true);
            j.WriteBoolean("use_regex", true);
            j.WriteEndObject();
            j.WriteStartObject("model");
            j.WriteString("type", "BPE");
            j.WriteNull("dropout");
            if (t.UnkId >= 0) j.WriteString("unk_token", t.IdToPiece(t.UnkId));
            else j.WriteNull("unk_token");
            j.WriteBoolean("byte_fallback", false);
            j.WriteBoolean("ignore_merges", t.IgnoreMerges);
            j.WriteStartObject("vocab");
            HashSet<string> seen = new(StringComparer.Ordinal);
            for (int id = 0; id < t.VocabSize; id++)
                if (!IsAdded(t.TypeOf(id)) && seen.Add(t.IdToPiece(id))) j.WriteNumber(t.IdToPiece(id), id);
            j.WriteEndObject();
            j.WriteStartArray("merges");
            foreach (var (left, right) in t.Merges) j.WriteStringValue(left + " " + right);
            j.WriteEndArray();
            j.WriteEndObject();
        }));

        AtomicFile.WriteAllBytes(Path.Combine(dir, "tokenizer_config.json"), Json(j =>
        {
            if (t.BosId >= 0) j.WriteString("bos_token", t.IdToPiece(t.BosId));
            else j.WriteNull("bos_token");
            if (t.EosIds.Count > 0) j.WriteString("eos_token", t.IdToPiece(t.EosIds[0]));
            j.WriteBoolean("add_bos_token", t.AddBos);
            if (chatTemplate != null) j.WriteString("chat_template", chatTemplate);
        }));

        // Further end-of-generation ids (a chat model's end of turn) go where Hugging Face keeps a list of them.
        if (t.EosIds.Count > 1)
            AtomicFile.WriteAllBytes(Path.Combine(dir, "generation_config.json"), Json(j =>
            {
                j.WriteStartArray("eos_token_id");
                foreach (int id in t.EosIds) j.WriteNumberValue(id);
                j.WriteEndArray();
            }));
    }

    // Control, user-defined and unknown tokens are matched literally before the pre-tokenizer runs.
    private static bool IsAdded(TokenType type) => type is TokenType.Control or TokenType.UserDefined or TokenType.Unknown;

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            j.WriteStartObject();
            body(j);
            j.WriteEndObject();
        }
        return ms.ToArray();
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// A learned byte-level BPE: tokens by id (the first <see cref="SpecialCount"/> are special, the rest written in
/// GPT-2's byte alphabet) and the merges in priority order. <see cref="Save"/> writes it as a Hugging Face
/// tokenizer folder that Cria, transformers and llama.cpp's converter read.
/// </summary>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, int SpecialCount, IReadOnlyList<(string Left, string Right)> Merges)
{
    /// <summary>BOS is the first special token, EOS the second (or the first again when there is only one).</summary>
    public string? BosToken => SpecialCount > 0 ? Tokens[0] : null;
    public string? EosToken => SpecialCount > 1 ? Tokens[1] : BosToken;

    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="dir"/>, each atomically.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllBytes(Path.Combine(dir, "tokenizer.json"), TokenizerJson());
        AtomicFile.WriteAllBytes(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfigJson());
    }

    public byte[] TokenizerJson()
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, Options))
        {
            j.WriteStartObject();
            j.WriteString("version", "1.0");
            j.WriteNull("truncation");
            j.WriteNull("padding");
            j.WriteStartArray("added_tokens");
            for (int i = 0; i < SpecialCount; i++)
            {
                j.WriteStartObject();
                j.WriteNumber("id", i);
                j.WriteString("content", Tokens[i]);
                j.WriteBoolean("single_word", false);
                j.WriteBoolean("lstrip", false);
                j.WriteBoolean("rstrip", false);
                j.WriteBoolean("normalized", false);
                j.WriteBoolean("special", true);
                j.WriteEndObject();
            }
            j.WriteEndArray();
            j.WriteNull("normalizer");
            WriteByteLevel(j, "pre_tokenizer", addPrefixSpace: false, trimOffsets: true);
            WritePostProcessor(j);
            WriteByteLevel(j, "decoder", addPrefixSpace: true, trimOffsets: true);

            j.WriteStartObject("model");
            j.WriteString("type", "BPE");
            j.WriteNull("dropout");
            j.WriteNull("unk_token");
            j.WriteNull("continuing_subword_prefix");
            j.WriteNull("end_of_word_suffix");
            j.WriteBoolean("fuse_unk", false);
            j.WriteBoolean("byte_fallback", false);
            j.WriteBoolean("ignore_merges", false);
            j.WriteStartObject("vocab");
            HashSet<string> seen = new(StringComparer.Ordinal);
            for (int i = 0; i < Tokens.Count; i++)
                if (seen.Add(Tokens[i])) j.WriteNumber(Tokens[i], i);
            j.WriteEndObject();
            j.WriteStartArray("merges");
            foreach ((string left, string right) in Merges)
            {
                j.WriteStartArray();
                j.WriteStringValue(left);
                j.WriteStringValue(right);
                j.WriteEndArray();
            }
            j.WriteEndArray();
            j.WriteEndObject();
            j.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    private static void WriteByteLevel(Utf8JsonWriter j, string name, bool addPrefixSpace, bool trimOffsets)
    {
        j.WriteStartObject(name);
        j.WriteString("type", "ByteLevel");
        j.WriteBoolean("add_prefix_space", addPrefixSpace);
        j.WriteBoolean("trim_offsets", trimOffsets);
        j.WriteBoolean("use_regex", true);
        j.WriteEndObject();
    }

    /// <summary>BOS in front of every sequence, as LLaMA models are trained (HF's TemplateProcessing).</summary>
    private void WritePostProcessor(Utf8JsonWriter j)
    {
        if (BosToken is not string bos)
        {
            j.WriteNull("post_processor");
            return;
        }
        j.WriteStartObject("post_processor");
        j.WriteString("type", "TemplateProcessing");
        j.WriteStartArray("single");
        WriteSpecialPiece(j, bos);
        WriteSequencePiece(j, "A");
        j.WriteEndArray();
        j.WriteStartArray("pair");
        WriteSpecialPiece(j, bos);
        WriteSequencePiece(j, "A");
        WriteSpecialPiece(j, bos);
        WriteSequencePiece(j, "B");
        j.WriteEndArray();
        j.WriteStartObject("special_tokens");
        j.WriteStartObject(bos);
        j.WriteString("id", bos);
        j.WriteStartArray("ids");
        j.WriteNumberValue(0);
        j.WriteEndArray();
        j.WriteStartArray("tokens");
        j.WriteStringValue(bos);
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteEndObject();
        j.WriteEndObject();
    }

    private static void WriteSpecialPiece(Utf8JsonWriter j, string token)
    {
        j.WriteStartObject();
        j.WriteStartObject("SpecialToken");
        j.WriteString("id", token);
        j.WriteNumber("type_id", 0);
        j.WriteEndObject();
        j.WriteEndObject();
    }

    private static void WriteSequencePiece(Utf8JsonWriter j, string id)
    {
        j.WriteStartObject();
        j.WriteStartObject("Sequence");
        j.WriteString("id", id);
        j.WriteNumber("type_id", 0);
        j.WriteEndObject();
        j.WriteEndObject();
    }

    public byte[] TokenizerConfigJson()
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, Options))
        {
            j.WriteStartObject();
            j.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            j.WriteBoolean("add_bos_token", BosToken != null);
            j.WriteBoolean("add_eos_token", false);
            if (BosToken is string bos) j.WriteString("bos_token", bos);
            else j.WriteNull("bos_token");
            if (EosToken is string eos) j.WriteString("eos_token", eos);
            else j.WriteNull("eos_token");
            j.WriteBoolean("clean_up_tokenization_spaces", false);
            j.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }
}

using System.Buffers.Binary;
using System.Text;
using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// Reads llama2.c's tokenizer.bin: int32 max_token_length, then per token float32 score, int32 byte length
/// and the UTF-8 bytes. The file has no count (run.c takes it from the model header) and no token types.
/// </summary>
internal static class Llama2cTokenizerReader
{
    private const int BosId = 1;
    private const int EosId = 2;

    /// <param name="vocabSize">Tokens to read; null reads to the end of the file.</param>
    public static SentencePieceBpeTokenizer Read(string path, int? vocabSize)
    {
        if (vocabSize is <= 0) throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "must be positive");
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 4) throw new CriaFormatException(path, "max_token_length", "file is too short to be a llama2.c tokenizer");
        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16)
            throw new CriaFormatException(path, "max_token_length", $"{maxTokenLength} is not a plausible token length");

        List<string> pieces = new(vocabSize ?? 32000);
        List<float> scores = new(vocabSize ?? 32000);
        int pos = 4;
        for (int i = 0; vocabSize is null ? pos < data.Length : i < vocabSize; i++)
        {
            if (data.Length - pos < 8)
                throw new CriaFormatException(path, $"token[{i}]", $"file ends at byte {data.Length} inside the token table (expected {vocabSize?.ToString() ?? "more"} tokens)");
            float score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(pos));
            int len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(pos + 4));
            pos += 8;
            if (len < 0 || len > maxTokenLength)
                throw new CriaFormatException(path, $"token[{i}].length", $"{len} is outside 0..max_token_length ({maxTokenLength})");
            if (data.Length - pos < len)
                throw new CriaFormatException(path, $"token[{i}].bytes", $"file ends at byte {data.Length}, {len} bytes needed at {pos}");
            pieces.Add(Encoding.UTF8.GetString(data, pos, len));
            scores.Add(score);
            pos += len;
        }
        if (pieces.Count <= EosId) throw new CriaFormatException(path, "vocab_size", $"{pieces.Count} tokens is too few for BOS={BosId} and EOS={EosId}");

        // llama2.c's export writes "▁" as a plain space and BOS/EOS as "\n<s>\n" / "\n</s>\n"; undo both so the
        // pieces read like the SentencePiece model's, and infer the types the file does not store.
        TokenType[] types = new TokenType[pieces.Count];
        for (int i = 0; i < pieces.Count; i++)
        {
            string p = pieces[i];
            if (i is BosId or EosId)
            {
                pieces[i] = p.Trim('\n');
                types[i] = TokenType.Control;
                continue;
            }
            pieces[i] = p.Replace(' ', SentencePieceBpeTokenizer.SpaceMark);
            types[i] = i == 0 && p == "<unk>" ? TokenType.Unknown
                : SentencePieceBpeTokenizer.TryParseByteToken(p, out _) ? TokenType.Byte
                : TokenType.Normal;
        }

        return new SentencePieceBpeTokenizer(pieces, scores, types, BosId, [EosId], unkId: types[0] == TokenType.Unknown ? 0 : -1);
    }
}

using Cria.Formats;

namespace Cria.Text;

/// <summary>
/// Reads a SentencePiece tokenizer.model (a ModelProto) into a <see cref="SentencePieceBpeTokenizer"/>.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' LlamaTokenizer reads the same file but was not used for encoding: it applies the
/// model's normalizer, which for tok512 collapses runs of spaces (run.c and llama.cpp keep them), encodes ""
/// without BOS, and has no special-token parsing in llama.cpp's manner; with normalization off it stops
/// escaping spaces. Nor does it expose piece scores or types, which the llama.cpp algorithm and decoding need,
/// so the pieces are read here straight from the protobuf (ModelProto.pieces: piece=1, score=2, type=3).
/// </remarks>
internal static class SentencePieceModelReader
{
    private const int ModelTypeBpe = 2;

    public sealed record Contents(
        List<string> Pieces, List<float> Scores, List<TokenType> Types,
        int UnkId, int BosId, int EosId, bool AddDummyPrefix, bool ByteFallback);

    public static SentencePieceBpeTokenizer Read(string path, SpecialTokenOverrides? overrides = null)
    {
        Contents c = Parse(path);
        var (bos, eos, addBos) = (overrides ?? SpecialTokenOverrides.None).Resolve(c.Pieces, c.BosId, [c.EosId], defaultAddBos: true);
        return new SentencePieceBpeTokenizer(c.Pieces, c.Scores, c.Types, bos, eos, c.UnkId, addBos,
            c.AddDummyPrefix ? SpacePrefixMode.EveryTextRun : SpacePrefixMode.Never);
    }

    public static Contents Parse(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        List<string> pieces = new();
        List<float> scores = new();
        List<TokenType> types = new();
        int modelType = 1; // proto default: UNIGRAM
        long unkId = 0, bosId = 1, eosId = 2;
        bool addDummyPrefix = true, byteFallback = false;

        ProtobufReader model = new(data, path, "ModelProto");
        while (!model.AtEnd)
        {
            var (field, wire) = model.ReadKey();
            if (field == 1 && wire == 2)
            {
                string name = $"pieces[{pieces.Count}]";
                ProtobufReader p = new(model.ReadBytes(name), path, name);
                string piece = "";
                float score = 0;
                int type = (int)TokenType.Normal;
                while (!p.AtEnd)
                {
                    var (f, w) = p.ReadKey();
                    if (f == 1 && w == 2) piece = p.ReadString("piece");
                    else if (f == 2 && w == 5) score = p.ReadFixed32Float("score");
                    else if (f == 3 && w == 0) type = (int)p.ReadVarint("type");
                    else p.Skip(w, f);
                }
                if (type is < 1 or > 6) throw new CriaFormatException(path, name + ".type", $"unknown piece type {type}");
                pieces.Add(piece);
                scores.Add(score);
                types.Add((TokenType)type);
            }
            else if (field == 2 && wire == 2)
            {
                ProtobufReader t = new(model.ReadBytes("trainer_spec"), path, "trainer_spec");
                while (!t.AtEnd)
                {
                    var (f, w) = t.ReadKey();
                    if (w != 0) { t.Skip(w, f); continue; }
                    ulong v = t.ReadVarint($"field {f}");
                    switch (f)
                    {
                        case 3: modelType = (int)v; break;
                        case 35: byteFallback = v != 0; break;
                        case 40: unkId = (long)v; break;
                        case 41: bosId = (long)v; break;
                        case 42: eosId = (long)v; break;
                    }
                }
            }
            else if (field == 3 && wire == 2)
            {
                ProtobufReader nspec = new(model.ReadBytes("normalizer_spec"), path, "normalizer_spec");
                while (!nspec.AtEnd)
                {
                    var (f, w) = nspec.ReadKey();
                    if (f == 3 && w == 0) addDummyPrefix = nspec.ReadVarint("add_dummy_prefix") != 0;
                    else nspec.Skip(w, f);
                }
            }
            else
            {
                model.Skip(wire, field);
            }
        }

        if (pieces.Count == 0) throw new CriaFormatException(path, "ModelProto.pieces", "the model has no pieces (is this a SentencePiece model?)");
        if (modelType != ModelTypeBpe)
            throw new CriaFormatException(path, "trainer_spec.model_type", $"model type {modelType} is not BPE (2); only SentencePiece BPE models are supported");
        return new Contents(pieces, scores, types, IdOrNone(unkId, pieces.Count), IdOrNone(bosId, pieces.Count),
            IdOrNone(eosId, pieces.Count), addDummyPrefix, byteFallback);
    }

    // Negative ids arrive as 64-bit two's complement varints; SentencePiece uses -1 for "none".
    private static int IdOrNone(long id, int count) => id >= 0 && id < count ? (int)id : -1;
}

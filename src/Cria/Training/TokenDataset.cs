using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Text;

namespace Cria.Training;

/// <summary>One shard file of a token dataset.</summary>
public sealed record TokenShard(string File, long Tokens);

/// <summary>
/// A folder written by <c>cria data prepare</c>: shards of token ids (uint16 when the vocabulary fits,
/// else uint32), and <c>cria-data.json</c> naming the shards, the token type, the vocabulary size and a
/// fingerprint of the tokenizer, so data from another tokenizer is refused.
/// </summary>
public sealed class TokenDataset
{
    public const string ManifestName = "cria-data.json";

    public required string Directory { get; init; }
    public required int BytesPerToken { get; init; }
    public required int VocabSize { get; init; }
    public required int BosId { get; init; }
    public required string TokenizerFingerprint { get; init; }
    public required IReadOnlyList<TokenShard> Train { get; init; }
    public required IReadOnlyList<TokenShard> Val { get; init; }
    public long Documents { get; init; }

    public long TrainTokens => Train.Sum(s => s.Tokens);
    public long ValTokens => Val.Sum(s => s.Tokens);

    public TokenStream OpenTrain() => TokenStream.OpenShards(Train.Select(s => (Path.Combine(Directory, s.File), s.Tokens)), BytesPerToken);

    public TokenStream OpenVal() => TokenStream.OpenShards(Val.Select(s => (Path.Combine(Directory, s.File), s.Tokens)), BytesPerToken);

    /// <summary>SHA-256 over the vocabulary's pieces in id order: equal for the same tokenizer in any file format.</summary>
    public static string Fingerprint(ITokenizer tok)
    {
        using IncrementalHash h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < tok.VocabSize; i++)
        {
            h.AppendData(Encoding.UTF8.GetBytes(tok.IdToPiece(i)));
            h.AppendData([0]);
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    public static TokenDataset Open(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{dir}: data folder does not exist");
        string path = Path.Combine(dir, ManifestName);
        if (!File.Exists(path)) throw new CriaFormatException(dir, ManifestName, "is missing: prepare the folder with `cria data prepare`");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CriaFormatException(path, "json", e.Message);
        }
        if (root is not JsonObject o || (string?)o["format"] != "cria-tokens") throw new CriaFormatException(path, "format", "is not 'cria-tokens'");
        try
        {
            int bytes = (string?)o["dtype"] switch
            {
                "uint16" => 2,
                "uint32" => 4,
                var other => throw new CriaFormatException(path, "dtype", $"'{other}' is not uint16 or uint32"),
            };
            List<TokenShard> Shards(string key) => (o[key] as JsonArray ?? throw new CriaFormatException(path, key, "is missing"))
                .Select(n => new TokenShard((string?)n?["file"] ?? throw new CriaFormatException(path, key, "a shard has no file"),
                    (long?)n?["tokens"] ?? throw new CriaFormatException(path, key, "a shard has no token count"))).ToList();
            TokenDataset d = new()
            {
                Directory = dir,
                BytesPerToken = bytes,
                VocabSize = (int?)o["vocab_size"] ?? throw new CriaFormatException(path, "vocab_size", "is missing"),
                BosId = (int?)o["bos_id"] ?? -1,
                TokenizerFingerprint = (string?)o["tokenizer_fingerprint"] ?? "",
                Train = Shards("train"),
                Val = Shards("val"),
                Documents = (long?)o["documents"] ?? 0,
            };
            foreach (TokenShard s in d.Train.Concat(d.Val))
                if (s.File.Contains('/') || s.File.Contains('\\') || s.File.StartsWith('.') || s.Tokens < 0)
                    throw new CriaFormatException(path, "train/val", $"shard '{s.File}' ({s.Tokens} tokens) is not a plain file name in the folder");
            if (d.TrainTokens == 0) throw new CriaFormatException(path, "train", "has no tokens");
            return d;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new CriaFormatException(path, "json", e.Message);
        }
    }

    /// <summary>Refuses training a model whose tokenizer differs from the one that made the data.</summary>
    public void CheckTokenizer(ITokenizer tok, int modelVocab, string modelName)
    {
        if (modelVocab < VocabSize)
            throw new CriaFormatException(Path.Combine(Directory, ManifestName), "vocab_size",
                $"the data was tokenized with {VocabSize} tokens but {modelName} has a vocabulary of {modelVocab}");
        if (TokenizerFingerprint.Length > 0 && Fingerprint(tok) != TokenizerFingerprint)
            throw new CriaFormatException(Path.Combine(Directory, ManifestName), "tokenizer_fingerprint",
                $"the data was made with a different tokenizer than {modelName}'s; prepare it again with --tokenizer {modelName}");
    }
}

using System.Text.Json;
using System.Text;
using Cria.Formats;
using Cria.Text;

namespace Cria.Training;

/// <summary>Progress of <see cref="DataPreparer"/>: approximate input bytes consumed, documents and tokens written.</summary>
public readonly record struct PrepareProgress(long Bytes, long TotalBytes, long Documents, long Tokens);

/// <summary>
/// Tokenizes corpus files into a <see cref="TokenDataset"/> folder, streaming: documents are read one at a
/// time, each encoded as [BOS] + ids, and appended to the current shard (train, or val for every
/// 1/fraction-th document). Shards are written under temporary names and the manifest last, so an
/// interrupted run leaves no folder that looks complete.
/// </summary>
public sealed class DataPreparer
{
    public required ITokenizer Tokenizer { get; init; }
    public string Field { get; init; } = "text";
    public double ValFraction { get; init; }
    public long ShardTokens { get; init; } = 100_000_000;

    public TokenDataset Prepare(IReadOnlyList<string> inputs, string outDir, IProgress<PrepareProgress>? progress = null)
    {
        if (inputs.Count == 0) throw new ArgumentException("no input files given");
        foreach (string f in inputs)
            if (!File.Exists(f)) throw new FileNotFoundException($"{f}: input file does not exist");
        if (ValFraction is < 0 or >= 1) throw new ArgumentException($"--val-fraction must be in [0, 1), got {ValFraction}");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new IOException($"{outDir}: output folder is not empty (choose a new folder; nothing was overwritten)");
        Directory.CreateDirectory(outDir);

        int bytesPerToken = Tokenizer.VocabSize <= 65536 ? 2 : 4;
        ShardWriter train = new(outDir, "train", bytesPerToken, ShardTokens);
        ShardWriter val = new(outDir, "val", bytesPerToken, ShardTokens);
        long totalBytes = inputs.Sum(f => new FileInfo(f).Length), bytes = 0, docs = 0, valDocs = 0;
        bool bos = Tokenizer.BosId >= 0;
        try
        {
            foreach (string file in inputs)
                foreach (string doc in DocumentReader.Read(file, Field))
                {
                    int[] ids = Tokenizer.Encode(doc, addBos: bos);
                    bool toVal = ValFraction > 0 && Math.Floor((docs + 1) * ValFraction) > Math.Floor(docs * ValFraction);
                    (toVal ? val : train).Append(ids);
                    if (toVal) valDocs++;
                    docs++;
                    bytes += Encoding.UTF8.GetByteCount(doc) + 1;
                    if (docs % 256 == 0) progress?.Report(new PrepareProgress(Math.Min(bytes, totalBytes), totalBytes, docs, train.Tokens + val.Tokens));
                }
            train.Close();
            val.Close();
            if (train.Tokens == 0) throw new ArgumentException($"the inputs hold no text to train on ({string.Join(", ", inputs)})");
            progress?.Report(new PrepareProgress(totalBytes, totalBytes, docs, train.Tokens + val.Tokens));
            string fingerprint = TokenDataset.Fingerprint(Tokenizer);
            WriteManifest(outDir, bytesPerToken, fingerprint, docs, valDocs, train, val, inputs);
            return TokenDataset.Open(outDir);
        }
        finally
        {
            train.Abort();
            val.Abort();
        }
    }

    private void WriteManifest(string dir, int bytesPerToken, string fingerprint, long docs, long valDocs, ShardWriter train, ShardWriter val, IReadOnlyList<string> inputs)
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true }))
        {
            j.WriteStartObject();
            j.WriteString("format", "cria-tokens");
            j.WriteNumber("version", 1);
            j.WriteString("dtype", bytesPerToken == 2 ? "uint16" : "uint32");
            j.WriteNumber("vocab_size", Tokenizer.VocabSize);
            j.WriteNumber("bos_id", Tokenizer.BosId);
            j.WriteString("tokenizer_fingerprint", fingerprint);
            j.WriteNumber("documents", docs);
            j.WriteNumber("val_documents", valDocs);
            j.WriteNumber("val_fraction", ValFraction);
            j.WriteStartArray("sources");
            foreach (string f in inputs) j.WriteStringValue(Path.GetFullPath(f));
            j.WriteEndArray();
            foreach ((string key, ShardWriter w) in new[] { ("train", train), ("val", val) })
            {
                j.WriteStartArray(key);
                foreach (TokenShard s in w.Shards)
                {
                    j.WriteStartObject();
                    j.WriteString("file", s.File);
                    j.WriteNumber("tokens", s.Tokens);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
            }
            j.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(dir, TokenDataset.ManifestName), ms.ToArray());
    }

    private sealed class ShardWriter(string dir, string split, int bytesPerToken, long shardTokens)
    {
        private FileStream? _current;
        private string? _currentName;
        private long _currentTokens;
        private readonly byte[] _buf = new byte[4];

        public List<TokenShard> Shards { get; } = new();
        public long Tokens { get; private set; }

        public void Append(int[] ids)
        {
            foreach (int id in ids)
            {
                if (_current == null || _currentTokens >= shardTokens) Rotate();
                if (bytesPerToken == 2) BitConverter.TryWriteBytes(_buf, (ushort)id);
                else BitConverter.TryWriteBytes(_buf, (uint)id);
                _current!.Write(_buf, 0, bytesPerToken);
                _currentTokens++;
                Tokens++;
            }
        }

        private void Rotate()
        {
            Finish();
            _currentName = $"{split}-{Shards.Count:D5}.bin";
            _current = new FileStream(Path.Combine(dir, "." + _currentName + ".tmp"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            _currentTokens = 0;
        }

        private void Finish()
        {
            if (_current == null) return;
            _current.Flush(flushToDisk: true);
            _current.Dispose();
            File.Move(Path.Combine(dir, "." + _currentName + ".tmp"), Path.Combine(dir, _currentName!), overwrite: true);
            Shards.Add(new TokenShard(_currentName!, _currentTokens));
            _current = null;
        }

        public void Close() => Finish();

        public void Abort()
        {
            if (_current == null) return;
            _current.Dispose();
            File.Delete(Path.Combine(dir, "." + _currentName + ".tmp"));
            _current = null;
        }
    }
}

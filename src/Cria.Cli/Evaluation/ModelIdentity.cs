using System.Security.Cryptography;
using Cria.Model;

namespace Cria.Cli.Evaluation;

/// <summary>What identifies a model on the leaderboard: where it is, the hash of its weight bytes, its format and types.</summary>
public sealed record ModelIdentity(string Path, string Sha256, string Format, string DType)
{
    public static ModelIdentity Of(LoadedModel m)
    {
        string full = System.IO.Path.GetFullPath(m.Path);
        IEnumerable<string> files = Directory.Exists(full)
            ? Directory.EnumerateFiles(full, "*.safetensors").Order(StringComparer.Ordinal)
            : [full];
        using IncrementalHash h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        foreach (string f in files)
        {
            using FileStream s = File.OpenRead(f);
            int n;
            while ((n = s.Read(buffer)) > 0) h.AppendData(buffer, 0, n);
        }
        string dtype = string.Join('+', m.Weights.Matrices.GroupBy(w => w.Type).OrderByDescending(g => g.Count()).Select(g => g.Key.ToString()));
        return new ModelIdentity(full, Convert.ToHexStringLower(h.GetHashAndReset()), m.Format, dtype);
    }
}

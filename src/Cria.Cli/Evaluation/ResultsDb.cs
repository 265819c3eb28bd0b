using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Cria.Cli.Evaluation;

/// <summary>
/// The embedded SQLite leaderboard: one row per (model, task configuration) run with its metrics, and every
/// finished sample, so a killed evaluation resumes where it stopped. Each write is its own transaction.
/// </summary>
public sealed class ResultsDb : IDisposable
{
    private readonly SqliteConnection _db;

    public string Path { get; }

    public static string DefaultPath => System.IO.Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "cria", "leaderboard.db");

    public ResultsDb(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        string? dir = System.IO.Path.GetDirectoryName(Path);
        if (dir != null) Directory.CreateDirectory(dir);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        try
        {
            _db.Open();
            Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
            Exec("""
                CREATE TABLE IF NOT EXISTS runs (
                  model_path TEXT NOT NULL, model_sha256 TEXT NOT NULL, format TEXT NOT NULL, dtype TEXT NOT NULL,
                  task TEXT NOT NULL, config_hash TEXT NOT NULL, num_fewshot INTEGER NOT NULL, sample_limit INTEGER,
                  seed INTEGER NOT NULL, samples INTEGER NOT NULL, metrics TEXT NOT NULL, cria_version TEXT NOT NULL,
                  created_utc TEXT NOT NULL,
                  PRIMARY KEY (model_sha256, model_path, format, dtype, task, config_hash));
                CREATE TABLE IF NOT EXISTS samples (
                  model_sha256 TEXT NOT NULL, task TEXT NOT NULL, config_hash TEXT NOT NULL, doc_index INTEGER NOT NULL,
                  record TEXT NOT NULL,
                  PRIMARY KEY (model_sha256, task, config_hash, doc_index));
                """);
        }
        catch (SqliteException e)
        {
            _db.Dispose();
            throw new IOException($"{Path}: not a usable leaderboard database: {e.Message}", e);
        }
    }

    private void Exec(string sql)
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    /// <summary>Samples already finished for this model and task configuration, by position in the task's doc list.</summary>
    public Dictionary<int, JsonObject> LoadSamples(string sha, string task, string configHash)
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = "SELECT doc_index, record FROM samples WHERE model_sha256=$s AND task=$t AND config_hash=$h";
        c.Parameters.AddWithValue("$s", sha);
        c.Parameters.AddWithValue("$t", task);
        c.Parameters.AddWithValue("$h", configHash);
        Dictionary<int, JsonObject> r = [];
        using SqliteDataReader rd = c.ExecuteReader();
        while (rd.Read())
            if (JsonNode.Parse(rd.GetString(1)) is JsonObject o) r[rd.GetInt32(0)] = o;
        return r;
    }

    public void SaveSample(string sha, string task, string configHash, int index, JsonObject record)
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = "INSERT OR REPLACE INTO samples VALUES ($s, $t, $h, $i, $r)";
        c.Parameters.AddWithValue("$s", sha);
        c.Parameters.AddWithValue("$t", task);
        c.Parameters.AddWithValue("$h", configHash);
        c.Parameters.AddWithValue("$i", index);
        c.Parameters.AddWithValue("$r", record.ToJsonString());
        c.ExecuteNonQuery();
    }

    public void RecordRun(ModelIdentity model, string task, string configHash, int numFewshot, int? limit, int seed, int samples, JsonObject metrics, string version)
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = "INSERT OR REPLACE INTO runs VALUES ($p, $s, $f, $d, $t, $h, $n, $l, $seed, $count, $m, $v, $at)";
        c.Parameters.AddWithValue("$p", model.Path);
        c.Parameters.AddWithValue("$s", model.Sha256);
        c.Parameters.AddWithValue("$f", model.Format);
        c.Parameters.AddWithValue("$d", model.DType);
        c.Parameters.AddWithValue("$t", task);
        c.Parameters.AddWithValue("$h", configHash);
        c.Parameters.AddWithValue("$n", numFewshot);
        c.Parameters.AddWithValue("$l", limit is int l ? l : DBNull.Value);
        c.Parameters.AddWithValue("$seed", seed);
        c.Parameters.AddWithValue("$count", samples);
        c.Parameters.AddWithValue("$m", metrics.ToJsonString());
        c.Parameters.AddWithValue("$v", version);
        c.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O"));
        c.ExecuteNonQuery();
    }

    public sealed record Run(string ModelPath, string Sha256, string Format, string DType, string Task, int NumFewshot, int? Limit, int Samples, JsonObject Metrics, string CreatedUtc);

    public List<Run> Runs()
    {
        using SqliteCommand c = _db.CreateCommand();
        c.CommandText = "SELECT model_path, model_sha256, format, dtype, task, num_fewshot, sample_limit, samples, metrics, created_utc FROM runs ORDER BY created_utc";
        List<Run> r = [];
        using SqliteDataReader rd = c.ExecuteReader();
        while (rd.Read())
            r.Add(new Run(rd.GetString(0), rd.GetString(1), rd.GetString(2), rd.GetString(3), rd.GetString(4), rd.GetInt32(5),
                rd.IsDBNull(6) ? null : rd.GetInt32(6), rd.GetInt32(7), JsonNode.Parse(rd.GetString(8)) as JsonObject ?? [], rd.GetString(9)));
        return r;
    }

    public void Dispose() => _db.Dispose();
}

using System.Text.Json;
using Cria.Training;

namespace Cria.Cli.Commands;

/// <summary>
/// The JSONL metrics file: one line per step and per evaluation, flushed as written. On resume, lines
/// past the checkpoint's step (written by the interrupted run) are dropped so the log reads as one run.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter? _w;

    public List<(int Step, double Loss)> Train { get; } = new();
    public List<(int Step, double Loss)> Val { get; } = new();

    public MetricsLog(string? path, long? resumeStep)
    {
        if (path == null) return;
        List<string> keep = new();
        if (resumeStep is long step && File.Exists(path))
        {
            foreach (string line in File.ReadLines(path))
            {
                try
                {
                    using JsonDocument d = JsonDocument.Parse(line);
                    if (d.RootElement.TryGetProperty("step", out JsonElement e) && e.GetInt64() <= step)
                    {
                        keep.Add(line);
                        if (d.RootElement.TryGetProperty("loss", out JsonElement l)) Train.Add((e.GetInt32(), l.GetDouble()));
                        if (d.RootElement.TryGetProperty("val_loss", out JsonElement v)) Val.Add((e.GetInt32(), v.GetDouble()));
                    }
                }
                catch (JsonException)
                {
                    // A line cut short by the crash: drop it.
                }
            }
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        _w = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { AutoFlush = true };
        foreach (string line in keep) _w.WriteLine(line);
    }

    public void Step(StepResult r, double tokensPerSecond)
    {
        Train.Add((r.Step, r.Loss));
        Write(j =>
    {
        j.WriteNumber("step", r.Step);
        j.WriteNumber("loss", r.Loss);
        j.WriteNumber("lr", r.Lr);
        j.WriteNumber("grad_norm", r.GradNorm);
        j.WriteNumber("tokens_per_s", Math.Round(tokensPerSecond, 1));
    });
    }

    public void Eval(int step, float valLoss)
    {
        Val.Add((step, valLoss));
        Write(j =>
    {
        j.WriteNumber("step", step);
        j.WriteNumber("val_loss", valLoss);
    });
    }

    private void Write(Action<Utf8JsonWriter> body)
    {
        if (_w == null) return;
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms))
        {
            j.WriteStartObject();
            body(j);
            j.WriteEndObject();
        }
        _w.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
    }

    public void Dispose() => _w?.Dispose();
}

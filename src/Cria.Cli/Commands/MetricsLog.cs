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
                    if (d.RootElement.TryGetProperty("step", out JsonElement e) && e.GetInt64() <= step) keep.Add(line);
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

    public void Step(StepResult r, double tokensPerSecond) => Write(j =>
    {
        j.WriteNumber("step", r.Step);
        j.WriteNumber("loss", r.Loss);
        j.WriteNumber("lr", r.Lr);
        j.WriteNumber("grad_norm", r.GradNorm);
        j.WriteNumber("tokens_per_s", Math.Round(tokensPerSecond, 1));
    });

    public void Eval(int step, float valLoss) => Write(j =>
    {
        j.WriteNumber("step", step);
        j.WriteNumber("val_loss", valLoss);
    });

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

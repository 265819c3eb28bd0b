using ScottPlot;

namespace Cria.Cli.Commands;

/// <summary>The loss curve (train per step, validation per evaluation) as a PNG, written atomically.</summary>
public static class LossPlot
{
    public static void Write(string path, IReadOnlyList<(int Step, double Loss)> train, IReadOnlyList<(int Step, double Loss)> val)
    {
        if (train.Count == 0) return;
        Plot plot = new();
        var t = plot.Add.ScatterLine(train.Select(p => (double)p.Step).ToArray(), train.Select(p => p.Loss).ToArray());
        t.LegendText = "train";
        if (val.Count > 0)
        {
            var v = plot.Add.Scatter(val.Select(p => (double)p.Step).ToArray(), val.Select(p => p.Loss).ToArray());
            v.LegendText = "validation";
        }
        plot.XLabel("step");
        plot.YLabel("loss (cross-entropy, nats)");
        plot.ShowLegend();
        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.png");
        try
        {
            plot.SavePng(tmp, 800, 500);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}

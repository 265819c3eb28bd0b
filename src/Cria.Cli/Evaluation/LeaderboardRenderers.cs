using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Cria.Formats;

namespace Cria.Cli.Evaluation;

/// <summary>The leaderboard as Markdown, JSON, a self-contained HTML page and a PNG bar chart.</summary>
public static class LeaderboardRenderers
{
    public static string Markdown(Standings s)
    {
        StringBuilder sb = new();
        sb.Append("| # | model | format | dtype | average |");
        foreach (string t in s.Tasks) sb.Append(' ').Append(t).Append(" |");
        sb.Append("\n|---:|---|---|---|---:|");
        foreach (string _ in s.Tasks) sb.Append("---:|");
        sb.Append('\n');
        int rank = 1;
        foreach (Standings.Entry e in s.Entries)
        {
            sb.Append($"| {rank++} | {Standings.ShortName(e.Model).Replace("|", "\\|")} | {e.Format} | {e.DType} | {(e.Average is double a ? Standings.Format(a) : "–")} |");
            foreach (string t in s.Tasks) sb.Append(' ').Append(Standings.Cell(e, t)).Append(" |");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    public static string Json(Standings s)
    {
        JsonArray rows = [];
        int rank = 1;
        foreach (Standings.Entry e in s.Entries)
        {
            JsonObject scores = [];
            foreach ((string task, (string metric, double value)) in e.Scores) scores[task] = new JsonObject { ["metric"] = metric, ["value"] = value };
            rows.Add(new JsonObject
            {
                ["rank"] = rank++,
                ["model"] = e.Model,
                ["sha256"] = e.Sha256,
                ["format"] = e.Format,
                ["dtype"] = e.DType,
                ["average"] = e.Average,
                ["scores"] = scores,
            });
        }
        return new JsonObject { ["tasks"] = new JsonArray([.. s.Tasks.Select(t => (JsonNode)t)]), ["models"] = rows }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>One HTML file with inline CSS, script and SVG: a sortable table and a bar chart of the averages, no network.</summary>
    public static string Html(Standings s)
    {
        static string H(string x) => WebUtility.HtmlEncode(x);
        StringBuilder sb = new();
        sb.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Cria leaderboard</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222;background:#fff}
            table{border-collapse:collapse;margin-bottom:2rem}
            th,td{border:1px solid #ccc;padding:.35rem .7rem;text-align:right}
            th{background:#f0f0f0;cursor:pointer;user-select:none}
            td.l,th.l{text-align:left}
            svg text{font-size:12px;font-family:system-ui,sans-serif}
            </style></head><body>
            <h1>Cria leaderboard</h1>
            <table id="board"><thead><tr>
            """);
        sb.Append("<th>#</th><th class=\"l\">model</th><th class=\"l\">format</th><th class=\"l\">dtype</th><th>average</th>");
        foreach (string t in s.Tasks) sb.Append("<th>").Append(H(t)).Append("</th>");
        sb.Append("</tr></thead><tbody>\n");
        int rank = 1;
        foreach (Standings.Entry e in s.Entries)
        {
            sb.Append($"<tr><td>{rank++}</td><td class=\"l\" title=\"{H(e.Model)} sha256 {e.Sha256}\">{H(Standings.ShortName(e.Model))}</td><td class=\"l\">{H(e.Format)}</td><td class=\"l\">{H(e.DType)}</td>");
            sb.Append($"<td>{(e.Average is double a ? Standings.Format(a) : "–")}</td>");
            foreach (string t in s.Tasks) sb.Append("<td>").Append(Standings.Cell(e, t)).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody></table>\n");
        sb.Append(BarSvg(s));
        sb.Append("""
            <script>
            document.querySelectorAll('#board th').forEach((th, col) => {
              let asc = false;
              th.addEventListener('click', () => {
                const body = document.querySelector('#board tbody');
                const rows = Array.from(body.rows);
                asc = !asc;
                rows.sort((a, b) => {
                  const x = a.cells[col].textContent, y = b.cells[col].textContent;
                  const nx = parseFloat(x), ny = parseFloat(y);
                  const c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
                  return asc ? c : -c;
                });
                rows.forEach(r => body.appendChild(r));
              });
            });
            </script>
            </body></html>
            """);
        return sb.ToString();
    }

    private static string BarSvg(Standings s)
    {
        List<Standings.Entry> ranked = [.. s.Entries.Where(e => e.Average != null)];
        const int barH = 24, left = 220, width = 420;
        int height = ranked.Count * (barH + 8) + 30;
        StringBuilder sb = new();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{left + width + 80}\" height=\"{height}\" role=\"img\" aria-label=\"average score per model\">");
        for (int i = 0; i < ranked.Count; i++)
        {
            double avg = ranked[i].Average!.Value;
            double w = Math.Clamp(avg, 0, 100) / 100 * width;
            int y = 10 + i * (barH + 8);
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 8}\" y=\"{y + 16}\" text-anchor=\"end\">{WebUtility.HtmlEncode(Standings.ShortName(ranked[i].Model))}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{y}\" width=\"{w:F1}\" height=\"{barH}\" fill=\"#4e79a7\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + w + 6:F1}\" y=\"{y + 16}\">{Standings.Format(avg)}</text>");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    public static void Png(Standings s, string path)
    {
        List<Standings.Entry> ranked = [.. s.Entries.Where(e => e.Average != null)];
        ScottPlot.Plot plot = new();
        double[] values = [.. ranked.Select(e => e.Average!.Value)];
        var bars = plot.Add.Bars(values);
        bars.Horizontal = false;
        ScottPlot.Tick[] ticks = [.. ranked.Select((e, i) => new ScottPlot.Tick(i, Standings.ShortName(e.Model)))];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Left.Label.Text = "average score (×100)";
        plot.Title("Cria leaderboard");
        plot.Axes.SetLimitsY(0, Math.Max(10, values.DefaultIfEmpty(0).Max() * 1.15));
        byte[] png = plot.GetImageBytes(Math.Max(480, 120 * ranked.Count + 160), 420, ScottPlot.ImageFormat.Png);
        AtomicFile.Write(path, st => st.Write(png));
    }
}

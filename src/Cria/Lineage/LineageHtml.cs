using System.Globalization;
using System.Net;
using System.Text;

namespace Cria.Lineage;

/// <summary>
/// A self-contained HTML page for a <see cref="LineageReport"/> (no scripts, no external resources): verdict,
/// evidence, nulls, the layer similarity matrix as an inline-SVG heatmap with the alignment outlined, per-term
/// scores, config and tensor names side by side.
/// </summary>
public static class LineageHtml
{
    public static string Render(LineageReport r)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        static string F(double v, string f = "F3") => double.IsFinite(v) ? v.ToString(f, CultureInfo.InvariantCulture) : "—";
        StringBuilder h = new();
        string color = r.Verdict switch { LineageVerdict.Derived => "#b3261e", LineageVerdict.Independent => "#1b6e3a", _ => "#8a6d00" };
        h.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cria lineage report</title><style>")
         .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}")
         .Append("td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f2f2f2}.diff{background:#fff3cd}")
         .Append(".verdict{font-size:28px;font-weight:bold}code{font-size:12px}</style></head><body>");
        h.Append("<h1>Lineage: ").Append(E(Path.GetFileName(r.ModelA.TrimEnd('/')))).Append(" vs ").Append(E(Path.GetFileName(r.ModelB.TrimEnd('/')))).Append("</h1>");
        h.Append("<p><code>A = ").Append(E(r.ModelA)).Append("</code><br><code>B = ").Append(E(r.ModelB)).Append("</code></p>");
        h.Append("<p class=\"verdict\" style=\"color:").Append(color).Append("\">").Append(r.Verdict.ToString().ToLowerInvariant()).Append("</p>");
        h.Append("<p>").Append(E(r.Reason)).Append("</p>");
        h.Append("<table><tr><th>score</th><th>score se</th><th>null mean</th><th>null std</th><th>z</th><th>p (one-sided)</th><th>z of a perfect score</th></tr><tr><td>")
         .Append(F(r.Score, "F4")).Append("</td><td>").Append(F(r.ScoreSe, "F4")).Append("</td><td>").Append(F(r.NullMean, "F4")).Append("</td><td>").Append(F(r.NullStd, "F4")).Append("</td><td>")
         .Append(F(r.ZScore, "F1")).Append("</td><td>").Append(F(r.PValue, "G3")).Append("</td><td>").Append(F(r.CeilingZ, "F1")).Append("</td></tr></table>");
        h.Append("<h2>Evidence</h2><ul>");
        foreach (string e in r.Evidence) h.Append("<li>").Append(E(e)).Append("</li>");
        h.Append("</ul>");
        if (r.Terms.Count > 0)
        {
            h.Append("<h2>Invariant terms (aligned layers)</h2><table><tr>");
            foreach (TermScore t in r.Terms) h.Append("<th>").Append(E(t.Term)).Append("</th>");
            h.Append("</tr><tr>");
            foreach (TermScore t in r.Terms) h.Append("<td>").Append(F(t.AlignedMean)).Append("</td>");
            h.Append("</tr></table>");
        }
        if (r.LayerSimilarity.Length > 0)
        {
            h.Append("<h2>Layer similarity (rows: layers of A, columns: layers of B; outlined: alignment)</h2>");
            Heatmap(h, r);
        }
        h.Append("<h2>Architecture</h2><p>").Append(E(r.Architecture.SchemeA)).Append(" ↔ ").Append(E(r.Architecture.SchemeB)).Append("</p>");
        h.Append("<table><tr><th>field</th><th>A</th><th>B</th></tr>");
        foreach (ConfigRow c in r.Architecture.Config)
            h.Append(c.Same ? "<tr>" : "<tr class=\"diff\">").Append("<td>").Append(E(c.Field)).Append("</td><td>").Append(E(c.A)).Append("</td><td>").Append(E(c.B)).Append("</td></tr>");
        h.Append("</table><details><summary>Tensor names and shapes (").Append(r.Architecture.Tensors.Count).Append(" roles)</summary><table><tr><th>role</th><th>A</th><th>B</th><th>shape A</th><th>shape B</th><th>naive cosine</th></tr>");
        Dictionary<string, double> cos = r.TensorCosines.ToDictionary(c => c.Role, c => c.Cosine);
        foreach (TensorNameRow t in r.Architecture.Tensors)
            h.Append("<tr><td>").Append(E(t.Role)).Append("</td><td><code>").Append(E(t.NameA)).Append("</code></td><td><code>").Append(E(t.NameB))
             .Append("</code></td><td>").Append(E(t.ShapeA)).Append("</td><td>").Append(E(t.ShapeB)).Append("</td><td>")
             .Append(cos.TryGetValue(t.Role, out double c) ? F(c) : "").Append("</td></tr>");
        h.Append("</table></details>");
        h.Append("<p style=\"color:#777;font-size:12px\">cria lineage · ").Append(r.Tokens.Count).Append(" probe tokens · ")
         .Append(F(r.Elapsed.TotalSeconds, "F1")).Append(" s</p></body></html>");
        return h.ToString();
    }

    private static void Heatmap(StringBuilder h, LineageReport r)
    {
        int la = r.LayerSimilarity.GetLength(0), lb = r.LayerSimilarity.GetLength(1);
        int cell = Math.Clamp(560 / Math.Max(la, lb), 8, 48), left = 40, top = 24;
        int w = left + lb * cell + 90, ht = top + la * cell + 10;
        CultureInfo inv = CultureInfo.InvariantCulture;
        h.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{ht}\" font-size=\"10\" font-family=\"sans-serif\">");
        HashSet<(int, int)> aligned = r.Alignment.ToHashSet();
        for (int i = 0; i < la; i++)
        {
            h.Append(inv, $"<text x=\"{left - 4}\" y=\"{top + i * cell + cell / 2 + 3}\" text-anchor=\"end\">{i}</text>");
            for (int j = 0; j < lb; j++)
            {
                double v = r.LayerSimilarity[i, j];
                h.Append(inv, $"<rect x=\"{left + j * cell}\" y=\"{top + i * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{Color(v)}\"><title>A{i} · B{j}: {v:F3}</title></rect>");
                if (aligned.Contains((i, j)))
                    h.Append(inv, $"<rect x=\"{left + j * cell + 1}\" y=\"{top + i * cell + 1}\" width=\"{cell - 2}\" height=\"{cell - 2}\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>");
            }
        }
        for (int j = 0; j < lb; j++)
            h.Append(inv, $"<text x=\"{left + j * cell + cell / 2}\" y=\"{top - 6}\" text-anchor=\"middle\">{j}</text>");
        // Legend: −1 … 1.
        int lx = left + lb * cell + 20;
        for (int k = 0; k <= 20; k++)
        {
            double v = 1 - k / 10.0;
            h.Append(inv, $"<rect x=\"{lx}\" y=\"{top + k * 8}\" width=\"14\" height=\"8\" fill=\"{Color(v)}\"/>");
        }
        h.Append(inv, $"<text x=\"{lx + 18}\" y=\"{top + 8}\">1</text><text x=\"{lx + 18}\" y=\"{top + 84}\">0</text><text x=\"{lx + 18}\" y=\"{top + 166}\">−1</text></svg>");
    }

    /// <summary>Diverging white-centered scale: blue for negative, red for positive similarity.</summary>
    private static string Color(double v)
    {
        v = Math.Clamp(double.IsFinite(v) ? v : 0, -1, 1);
        int fade = (int)Math.Round(255 * (1 - Math.Abs(v)));
        return v >= 0 ? $"#{255:X2}{fade:X2}{fade:X2}" : $"#{fade:X2}{fade:X2}{255:X2}";
    }
}

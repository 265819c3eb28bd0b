using System.ComponentModel;
using Cria.Cli.Evaluation;
using Cria.Formats;
using Spectre.Console.Cli;
using Spectre.Console;

namespace Cria.Cli.Commands;

public sealed class LeaderboardSettings : CommandSettings
{
    [CommandOption("--db <FILE>")]
    [Description("Leaderboard database (default: cria/leaderboard.db in the user's data folder).")]
    public string? Db { get; set; }

    [CommandOption("--tasks <LIST>")]
    [Description("Comma-separated tasks to rank by (default: every recorded task).")]
    public string? Tasks { get; set; }

    [CommandOption("--format <FORMAT>")]
    [Description("table (default), md, html, json or png.")]
    public string Format { get; set; } = "table";

    [CommandOption("--out <FILE>")]
    [Description("Write to this file instead of stdout (required for png).")]
    public string? Out { get; set; }
}

public sealed class LeaderboardCommand : Command<LeaderboardSettings>
{
    public override int Execute(CommandContext context, LeaderboardSettings s, CancellationToken cancellationToken)
    {
        string format = s.Format.ToLowerInvariant();
        if (format is not ("table" or "md" or "html" or "json" or "png")) throw new ArgumentException($"--format must be table, md, html, json or png, got '{s.Format}'");
        if (format == "png" && s.Out == null) throw new ArgumentException("--format png needs --out FILE");
        string dbPath = s.Db ?? ResultsDb.DefaultPath;
        if (!File.Exists(dbPath)) throw new FileNotFoundException($"{dbPath}: no leaderboard yet (run cria eval first)");
        using ResultsDb db = new(dbPath);
        string[]? tasks = s.Tasks?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Standings st = new(db.Runs(), tasks);
        switch (format)
        {
            case "png":
                LeaderboardRenderers.Png(st, s.Out!);
                break;
            case "table" when s.Out == null:
                Table t = new Table().AddColumns("#", "model", "format", "dtype", "average");
                foreach (string task in st.Tasks) t.AddColumn(new TableColumn(Markup.Escape(task)).RightAligned());
                int rank = 1;
                foreach (Standings.Entry e in st.Entries)
                    t.AddRow([$"{rank++}", Markup.Escape(Standings.ShortName(e.Model)), e.Format, Markup.Escape(e.DType), e.Average is double a ? Standings.Format(a) : "–", .. st.Tasks.Select(x => Standings.Cell(e, x))]);
                AnsiConsole.Write(t);
                break;
            default:
                string text = format switch
                {
                    "html" => LeaderboardRenderers.Html(st),
                    "json" => LeaderboardRenderers.Json(st),
                    _ => LeaderboardRenderers.Markdown(st),
                };
                if (s.Out != null) AtomicFile.WriteAllText(s.Out, text);
                else Console.Out.Write(text);
                break;
        }
        if (s.Out != null) CriaApp.Status.MarkupLineInterpolated($"[grey]wrote {s.Out}[/]");
        return 0;
    }
}

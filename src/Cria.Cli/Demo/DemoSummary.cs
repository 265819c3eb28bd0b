using System.Globalization;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Spectre.Console;

namespace Cria.Cli.Demo;

/// <summary>What the demo prints after the work: the ranking, Derived's samples, and the files and next commands.</summary>
public static class DemoSummary
{
    private static string Pct(double v) => double.IsFinite(v) ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) : "–";

    private static string Num(double v) => double.IsFinite(v) ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";

    /// <summary>Ranks by the benchmark's acc_norm (the leaderboard's headline for it), then acc; perplexity is shown beside.</summary>
    public static void Ranking(IAnsiConsole ui, IReadOnlyList<DemoScores> scores, int questions)
    {
        List<DemoScores> ranked = [.. scores.OrderByDescending(x => x.AccNorm).ThenByDescending(x => x.Acc).ThenBy(x => x.Name, StringComparer.Ordinal)];
        Table t = new Table().Border(TableBorder.Rounded).Title($"ranking on {DemoCorpus.FactsTaskName} ({questions} questions, 4 choices: chance is 25 %)")
            .AddColumns("#", "model", $"acc_norm %", "acc %", "story word ppl", "bits/byte");
        int rank = 1;
        foreach (DemoScores x in ranked)
            t.AddRow($"{rank++}", x.Name, Pct(x.AccNorm), Pct(x.Acc), Num(x.WordPerplexity), Num(x.BitsPerByte));
        ui.Write(t);
        foreach (DemoScores x in ranked)
            Console.Out.WriteLine($"rank {ranked.IndexOf(x) + 1}: {x.Name} {DemoCorpus.FactsTaskName} acc_norm {Pct(x.AccNorm)} acc {Pct(x.Acc)} word_perplexity {Num(x.WordPerplexity)}");
        DemoScores b = scores.Single(x => x.Name == "Base"), d = scores.Single(x => x.Name == "Derived");
        if (ranked.IndexOf(d) < ranked.IndexOf(b))
            ui.MarkupLineInterpolated($"[green]Derived ranks above Base on the new data: {Pct(d.AccNorm)} % vs {Pct(b.AccNorm)} % acc_norm[/] (held-out story perplexity {Num(d.WordPerplexity)} vs {Num(b.WordPerplexity)}).");
        else
            ui.MarkupLineInterpolated($"[red]Derived does not rank above Base on the new data ({Pct(d.AccNorm)} % vs {Pct(b.AccNorm)} %): more steps would help (run without --quick).[/]");
    }

    /// <summary>Greedy continuations of a story opening and of a benchmark-style question, and a sampled story.</summary>
    public static void Samples(IAnsiConsole ui, string modelDir, FactGenerator facts)
    {
        using LoadedModel m = ModelLoader.Load(modelDir);
        using LlamaModel model = new(m);
        Fact f = facts.Facts[0];
        (string Prompt, SamplingOptions Sampling, string Label, int Tokens)[] runs =
        [
            ("Once upon a time,", SamplingOptions.Greedy, "greedy", 40),
            ($"{f.Entity} lives in the", SamplingOptions.Greedy, "greedy", 12),
            ($"Question: What does {facts.Facts[1].Entity} eat?\nAnswer: {facts.Facts[1].Entity} eats", SamplingOptions.Greedy, "greedy", 8),
            ("One day,", new SamplingOptions { Temperature = 0.8f, Seed = 7 }, "sampled, temperature 0.8", 40),
        ];
        foreach ((string prompt, SamplingOptions sampling, string label, int n) in runs)
        {
            Generator g = new(model, m.Tokenizer!, model.CreateCache(m.Config.MaxSeqLen));
            GenerationStats stats = new();
            string text = string.Concat(g.Generate(new GenerationRequest { PromptIds = m.Tokenizer!.Encode(prompt, addBos: true), MaxNewTokens = n, Sampling = sampling }, stats).Select(x => x.Text));
            ui.MarkupLineInterpolated($"  [grey]({label})[/] [bold]{prompt.Replace("\n", " ")}[/]{text.Replace("\n", " ")}");
        }
        ui.MarkupLineInterpolated($"  [grey](the new data says: {facts.Facts[0].Entity} lives in the {facts.Facts[0].Value}; {facts.Facts[1].Entity} eats {facts.Facts[1].Value})[/]");
    }

    public static void Files(IAnsiConsole ui, string outDir, TimeSpan elapsed, IReadOnlyList<(int Step, TimeSpan Took)> steps)
    {
        ui.WriteLine();
        ui.Write(new Rule("[bold]Files written[/]").LeftJustified());
        (string Path, string What)[] files =
        [
            ("corpus/", "stories.txt (old data), facts.txt (new data), stories_replay.txt"),
            ("tokenizer/", "tokenizer.json + tokenizer_config.json (byte-level BPE, Hugging Face format)"),
            ("data/", "token shards for training (cria data prepare's format)"),
            ("models/base/, models/derived/, models/rival/", "Hugging Face checkpoints (config.json, model.safetensors, tokenizer, loss.png)"),
            ($"tasks/{DemoCorpus.FactsTaskName}.json, tasks/{DemoCorpus.PerplexityTaskName}.json", "task files; their rows are in bench/"),
            ("leaderboard.db", "SQLite leaderboard with every run and sample"),
            ("leaderboard.html, leaderboard.png", "the ranking as a page and as a chart"),
            ("lineage.json", "the lineage verdicts (Derived vs Base, Rival vs Base) with their numbers and evidence"),
        ];
        Table t = new Table().Border(TableBorder.None).HideHeaders().AddColumns("path", "what");
        foreach ((string path, string what) in files) t.AddRow(Markup.Escape(path), Markup.Escape(what));
        ui.Write(t);
        foreach (string f in new[] { "leaderboard.db", "leaderboard.html", "leaderboard.png", "lineage.json" })
            Console.Out.WriteLine($"file: {Path.Combine(outDir, f)}");

        string derived = Path.Combine(outDir, "models", "derived");
        ui.WriteLine();
        ui.Write(new Rule("[bold]Next[/]").LeftJustified());
        string[] next =
        [
            $"cria chat {derived} --template chatml",
            $"cria serve {derived} --template chatml        # then open http://127.0.0.1:8080/",
            $"cria generate {derived} -p \"Once upon a time,\" -n 60",
            $"cria eval {derived} --tasks {DemoCorpus.FactsTaskName},{DemoCorpus.PerplexityTaskName} --task-dir {Path.Combine(outDir, "tasks")} --data-dir {Path.Combine(outDir, "bench")} --add-bos --db {Path.Combine(outDir, "leaderboard.db")}",
            $"cria leaderboard --db {Path.Combine(outDir, "leaderboard.db")}",
            $"cria lineage {Path.Combine(outDir, "models", "base")} {Path.Combine(outDir, "models", "rival")} --report {Path.Combine(outDir, "lineage-rival.html")}",
            $"cria convert {derived} {Path.Combine(outDir, "derived.gguf")}      # for llama.cpp",
        ];
        foreach (string n in next) Console.Out.WriteLine("  " + n);
        ui.MarkupLineInterpolated($"[grey](with `dotnet run -c Release --project src/Cria.Cli --` in place of `cria` from a clone)[/]");
        string perStep = string.Join(", ", steps.Select(x => string.Create(CultureInfo.InvariantCulture, $"step {x.Step} {x.Took.TotalSeconds:F0} s")));
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done in {elapsed.TotalSeconds:F0} s ({perStep})."));
    }
}

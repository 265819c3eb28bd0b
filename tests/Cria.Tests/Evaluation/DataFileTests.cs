using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Parquet.Serialization;

namespace Cria.Tests.Evaluation;

/// <summary>Tasks read Parquet (the Hub's files) and CSV exactly as they read JSON Lines.</summary>
public class DataFileTests
{
    // Parquet rows in the Hugging Face schemas, written with Parquet.Net's serializer as the Hub's writer lays them out.
    public sealed class ArcChoices
    {
        public List<string> text { get; set; } = [];
        public List<string> label { get; set; } = [];
    }

    public sealed class ArcRow
    {
        public string id { get; set; } = "";
        public string question { get; set; } = "";
        public ArcChoices choices { get; set; } = new();
        public string answerKey { get; set; } = "";
    }

    public sealed class MmluRow
    {
        public string question { get; set; } = "";
        public string subject { get; set; } = "";
        public List<string> choices { get; set; } = [];
        public long answer { get; set; }
    }

    public sealed class WikiPage
    {
        public string page { get; set; } = "";
    }

    private static List<string> Lines(string relative, int n, Func<string, bool>? keep = null) =>
        [.. File.ReadLines(Fixtures.Path_("data/" + relative)).Where(keep ?? (_ => true)).Take(n)];

    private static void Write<T>(string path, IEnumerable<T> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using FileStream f = File.Create(path);
        ParquetSerializer.SerializeAsync(rows, f).GetAwaiter().GetResult();
    }

    private static string Csv(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";

    private static void AssertSameTask(string task, string? group, string jsonlDir, string otherDir, int shots)
    {
        TaskSpec spec = TaskLoader.Load(HarnessAgreementTests.TaskFile(task));
        PreparedTask a = PreparedTask.Prepare(spec, group, jsonlDir, 1234, shots, null)[0];
        PreparedTask b = PreparedTask.Prepare(spec, group, otherDir, 1234, shots, null)[0];
        Assert.Equal(a.Docs.Count, b.Docs.Count);
        Assert.Equal(a.Contexts, b.Contexts);
        for (int d = 0; d < a.Docs.Count; d++)
        {
            Assert.Equal(PreparedTask.Choices(spec, a.Docs[d]), PreparedTask.Choices(spec, b.Docs[d]));
            Assert.Equal(PreparedTask.TargetText(spec, a.Docs[d]), PreparedTask.TargetText(spec, b.Docs[d]));
        }
    }

    [SkippableFact]
    public void Parquet_rows_give_the_same_prompts_choices_and_answers_as_json_lines()
    {
        using TempDir tmp = new();
        List<string> arc = Lines("arc_easy/test.jsonl", 30);
        List<string> mmlu = Lines("mmlu/test.jsonl", 12, l => l.Contains("\"astronomy\"", StringComparison.Ordinal));
        List<string> dev = Lines("mmlu/dev.jsonl", 5, l => l.Contains("\"astronomy\"", StringComparison.Ordinal));
        Directory.CreateDirectory(tmp.File("j/arc_easy"));
        Directory.CreateDirectory(tmp.File("j/mmlu"));
        File.WriteAllLines(tmp.File("j/arc_easy/test.jsonl"), arc);
        File.WriteAllLines(tmp.File("j/mmlu/test.jsonl"), mmlu);
        File.WriteAllLines(tmp.File("j/mmlu/dev.jsonl"), dev);
        Write(tmp.File("p/arc_easy/test.parquet"), arc.Select(l => JsonNode.Parse(l).Deserialize<ArcRow>()!));
        Write(tmp.File("p/mmlu/test.parquet"), mmlu.Select(l => JsonNode.Parse(l).Deserialize<MmluRow>()!));
        Write(tmp.File("p/mmlu/dev.parquet"), dev.Select(l => JsonNode.Parse(l).Deserialize<MmluRow>()!));

        AssertSameTask("arc_easy", null, tmp.File("j"), tmp.File("p"), 3);
        AssertSameTask("mmlu", "astronomy", tmp.File("j"), tmp.File("p"), 5);
        List<Doc> rows = DatasetReader.Read(tmp.File("p/mmlu/test.parquet"));
        Assert.Equal(JsonNode.Parse(mmlu[3])!["answer"]!.GetValue<long>(), rows[3].Fields["answer"]!.GetValue<long>());
    }

    [SkippableFact]
    public void Csv_rows_with_quotes_line_breaks_and_dotted_columns_match_json_lines()
    {
        using TempDir tmp = new();
        List<string> arc = Lines("arc_easy/test.jsonl", 30);
        // One question with a comma, quotes and a line break, so the CSV quoting rules are exercised.
        JsonObject tricky = (JsonObject)JsonNode.Parse(arc[4])!;
        tricky["question"] = "Which is \"true\", given\nthis line break?";
        arc[4] = tricky.ToJsonString();
        Directory.CreateDirectory(tmp.File("j/arc_easy"));
        Directory.CreateDirectory(tmp.File("c/arc_easy"));
        File.WriteAllLines(tmp.File("j/arc_easy/test.jsonl"), arc);
        List<string> csv = ["id,question,choices.text,choices.label,answerKey"];
        foreach (string l in arc)
        {
            JsonObject o = (JsonObject)JsonNode.Parse(l)!;
            csv.Add(string.Join(',', Csv(o["id"]!.ToString()), Csv(o["question"]!.ToString()), Csv(o["choices"]!["text"]!.ToJsonString()), Csv(o["choices"]!["label"]!.ToJsonString()), o["answerKey"]!.ToString()));
        }
        File.WriteAllText(tmp.File("c/arc_easy/test.csv"), string.Join("\r\n", csv) + "\r\n");
        AssertSameTask("arc_easy", null, tmp.File("j"), tmp.File("c"), 2);
        List<Doc> rows = DatasetReader.Read(tmp.File("c/arc_easy/test.csv"));
        Assert.Equal(30, rows.Count);
        Assert.Equal(8, rows[5].Line); // the header is line 1 and row 4 spans two lines
        Assert.Equal("Which is \"true\", given\nthis line break?", rows[4].Fields["question"]!.ToString());
    }

    [Fact]
    public void Bad_csv_and_parquet_files_name_the_file_and_line()
    {
        using TempDir tmp = new();
        File.WriteAllText(tmp.File("short.csv"), "question,answer\n\"a, b\",1\nc\n");
        CriaFormatException e = Assert.Throws<CriaFormatException>(() => DatasetReader.Read(tmp.File("short.csv")));
        Assert.Contains("short.csv:3", e.Message);
        Assert.Contains("1 fields but the header names 2", e.Message);

        File.WriteAllText(tmp.File("open.csv"), "question,answer\n\"never closed,1\n");
        e = Assert.Throws<CriaFormatException>(() => DatasetReader.Read(tmp.File("open.csv")));
        Assert.Contains("open.csv:2", e.Message);
        Assert.Contains("never closed", e.Message);

        File.WriteAllText(tmp.File("trailing.csv"), "question,answer\nok,0\n\"quoted\" then text,1\n");
        e = Assert.Throws<CriaFormatException>(() => DatasetReader.Read(tmp.File("trailing.csv")));
        Assert.Contains("trailing.csv:3", e.Message);
        Assert.Contains("text after its closing quote", e.Message);

        File.WriteAllBytes(tmp.File("junk.parquet"), [.. "PAR1 not really parquet"u8]);
        e = Assert.Throws<CriaFormatException>(() => DatasetReader.Read(tmp.File("junk.parquet")));
        Assert.Contains("junk.parquet", e.Message);
        Assert.Contains("Parquet", e.Message);
    }

    [Fact]
    public void A_missing_file_names_every_name_tried()
    {
        using TempDir tmp = new();
        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => DatasetReader.Locate(tmp.Path, "arc_easy/test.jsonl"));
        Assert.Contains("test.parquet", e.Message);
        Assert.Contains("test.csv", e.Message);
    }

    [Fact]
    public void Wikitext_raw_text_splits_into_articles_as_the_document_level_dataset()
    {
        using TempDir tmp = new();
        // A blank line before the first article, section headings (" = = … = = ", also four deep), blank lines inside.
        string raw = " \n = Alpha = \n \n Text of alpha . \n = = Life = = \n = = = = Deep = = = = \n Body @-@ text . \n \n = Beta = \n Text of beta . \n";
        List<string> expected = [" = Alpha = \n \n Text of alpha . \n = = Life = = \n = = = = Deep = = = = \n Body @-@ text . \n ", " = Beta = \n Text of beta . \n"];
        foreach ((string name, string text) in new[] { ("lf.raw", raw), ("crlf.raw", raw.Replace("\n", "\r\n")) })
        {
            File.WriteAllText(tmp.File(name), text);
            List<Doc> docs = DatasetReader.Read(tmp.File(name), "wikitext_documents");
            Assert.Equal(expected, docs.Select(d => d.Fields["page"]!.GetValue<string>()));
            Assert.Equal([2, 9], docs.Select(d => d.Line));
        }
        Assert.True(DatasetReader.IsArticleHeading(" = Robert Boulter = "));
        Assert.False(DatasetReader.IsArticleHeading(" = = Career = = "));
        Assert.False(DatasetReader.IsArticleHeading(" = = = 2000 – 2005 = = = "));
        Assert.False(DatasetReader.IsArticleHeading(" In 2000 = 3 , x = "));

        File.WriteAllText(tmp.File("empty.raw"), " \n \n");
        CriaFormatException e = Assert.Throws<CriaFormatException>(() => DatasetReader.Read(tmp.File("empty.raw"), "wikitext_documents"));
        Assert.Contains("empty.raw", e.Message);
    }

    [Fact]
    public void Wikitext_document_level_parquet_pages_are_used_as_they_are()
    {
        using TempDir tmp = new();
        string[] pages = [" = Alpha = \n \n Text of alpha . \n \n", " = Beta = \n Text @-@ of beta . \n"];
        Write(tmp.File("wikitext-2-raw-v1-test.parquet"), pages.Select(p => new WikiPage { page = p }));
        TaskSpec spec = TaskLoader.Load(HarnessAgreementTests.TaskFile("wikitext"));
        PreparedTask task = PreparedTask.Prepare(spec, null, new TaskDataFiles([tmp.File("wikitext-2-raw-v1-test.parquet")], null, "test"), 1234, null, null)[0];
        Assert.Equal(pages, task.Docs.Select(d => d.Fields["page"]!.GetValue<string>()));
        Assert.Equal("EleutherAI/wikitext_document_level", spec.Hub!.Repo);
    }
}

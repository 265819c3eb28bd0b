using System.Text.Json.Nodes;

namespace Cria.Evaluation.Tasks;

public enum OutputType { MultipleChoice, GenerateUntil, LoglikelihoodRolling }

/// <summary>How a doc names its correct answer.</summary>
public sealed record TargetSpec(int? Constant, string[]? Path, string[]? IndexOfValue, string[]? IndexOfList, Template? Text, IReadOnlyList<string>? IndexOfLiterals = null);

/// <summary>A regex answer filter (the harness's regex filter with group_select and fallback).</summary>
public sealed record AnswerFilter(string Name, string Regex, int GroupSelect, string Fallback);

/// <summary>Options of the exact_match metric.</summary>
public sealed record ExactMatchOptions(bool IgnoreCase, bool IgnorePunctuation, IReadOnlyList<string> RegexesToIgnore);

/// <summary>One evaluation task as read from its JSON file (see tasks/README.md beside the CLI).</summary>
public sealed class TaskSpec
{
    public required string Name { get; init; }
    public required string SourceFile { get; init; }
    public required JsonObject Raw { get; init; }
    public double Version { get; init; } = 1.0;
    public required OutputType OutputType { get; init; }
    public required string TestFile { get; init; }
    public string? FewshotFile { get; init; }
    /// <summary>The Hub dataset the files come from when --data-dir does not hold them (null: local files only).</summary>
    public HubDatasetSpec? Hub { get; init; }
    /// <summary>jsonl, parquet, csv or wikitext_documents; null: chosen by the data file's extension.</summary>
    public string? DataFormat { get; init; }
    public string FewshotSampler { get; init; } = "random";
    public int NumFewshot { get; init; }
    public Template? Description { get; init; }
    public required Template DocToText { get; init; }
    /// <summary>Choices written in the task file (literals such as " A" or templates of doc fields).</summary>
    public IReadOnlyList<Template>? ChoiceTemplates { get; init; }
    public string[]? ChoicePath { get; init; }
    public string? Preprocess { get; init; }
    public required TargetSpec Target { get; init; }
    /// <summary>
    /// Set for the harness's "multiple input" tasks (WinoGrande's partial scoring): every choice is a context and this
    /// rendered text is the one continuation scored after each.
    /// </summary>
    public Template? Continuation { get; init; }

    public string TargetDelimiter { get; init; } = " ";
    public string FewshotDelimiter { get; init; } = "\n\n";
    public required IReadOnlyList<string> Metrics { get; init; }
    public string[]? Mc2Labels { get; init; }
    public string? GroupBy { get; init; }
    public IReadOnlyList<string> Until { get; init; } = [];
    public int MaxGenTokens { get; init; } = 256;
    public IReadOnlyList<AnswerFilter> Filters { get; init; } = [];
    public ExactMatchOptions ExactMatch { get; init; } = new(false, false, []);

    /// <summary>Whether higher is better for a metric (perplexities and bits per byte are lower-is-better).</summary>
    public static bool HigherIsBetter(string metric) => metric is not ("word_perplexity" or "byte_perplexity" or "bits_per_byte");
}

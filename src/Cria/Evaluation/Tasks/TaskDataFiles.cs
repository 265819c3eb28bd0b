namespace Cria.Evaluation.Tasks;

/// <summary>
/// The local files a task reads: its evaluated split and optionally its few-shot split, each one file or several
/// shards read in order, and where they came from (for the results file and messages).
/// </summary>
public sealed record TaskDataFiles(IReadOnlyList<string> Test, IReadOnlyList<string>? Fewshot, string Source)
{
    /// <summary>
    /// The task's files in <paramref name="dataDir"/> (the names the task file gives, or the same names with another
    /// supported extension), or null when the folder is not given or lacks the evaluated split.
    /// </summary>
    public static TaskDataFiles? FromDataDir(TaskSpec spec, string? dataDir)
    {
        if (dataDir == null || DatasetReader.TryLocate(dataDir, spec.TestFile) is not string test) return null;
        string? fewshot = spec.FewshotFile == null ? null : DatasetReader.TryLocate(dataDir, spec.FewshotFile);
        return new TaskDataFiles([test], fewshot == null ? null : [fewshot], $"--data-dir {dataDir}");
    }
}

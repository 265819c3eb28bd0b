using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;
using Cria.Hub;

namespace Cria.Evaluation.Tasks;

/// <summary>
/// Where a task's data lives on the Hugging Face Hub (a task file's <c>dataset.hub</c>): the dataset repository,
/// the revision (<c>refs/convert/parquet</c> for datasets that only the Hub's converter turned into Parquet), and
/// file patterns for the evaluated and few-shot splits. Patterns use <see cref="GlobPattern"/> syntax and leave the
/// extension open (<c>ARC-Easy/test-*</c>), so Parquet, JSON Lines or CSV copies all match; several matching shards
/// are read in path order. <c>{group}</c> in the group patterns is a group value (an MMLU subject), used when only
/// that group is evaluated.
/// </summary>
public sealed record HubDatasetSpec(string Repo, string Revision, string Test, string? Fewshot, string? GroupTest, string? GroupFewshot)
{
    public static HubDatasetSpec Parse(JsonObject o, string file)
    {
        string? Str(string key)
        {
            JsonNode? n = o[key];
            if (n == null) return null;
            if (n.GetValueKind() != JsonValueKind.String || n.GetValue<string>().Trim().Length == 0)
                throw new CriaFormatException(file, "dataset.hub." + key, "must be a non-empty string");
            return n.GetValue<string>();
        }
        string repo = Str("repo") ?? throw new CriaFormatException(file, "dataset.hub.repo", "is required (org/name of a Hub dataset)");
        if (!HubModelReference.TryParse(repo, out HubModelReference? r) || r.Revision != null)
            throw new CriaFormatException(file, "dataset.hub.repo", $"'{repo}' is not a Hub repository name (org/name)");
        string revision = Str("revision") ?? HubModelReference.DefaultRevision;
        if (!HubModelReference.IsValidRevision(revision)) throw new CriaFormatException(file, "dataset.hub.revision", $"'{revision}' is not a branch, tag or commit name");
        HubDatasetSpec spec = new(repo, revision, Str("test") ?? throw new CriaFormatException(file, "dataset.hub.test", "is required (a file pattern such as \"ARC-Easy/test-*\")"),
            Str("fewshot"), Str("group_test"), Str("group_fewshot"));
        foreach ((string key, string? pattern) in new[] { ("test", spec.Test), ("fewshot", spec.Fewshot), ("group_test", spec.GroupTest), ("group_fewshot", spec.GroupFewshot) })
            if (pattern != null && (pattern.StartsWith('/') || pattern.Contains("..", StringComparison.Ordinal)))
                throw new CriaFormatException(file, "dataset.hub." + key, $"'{pattern}' must be a path inside the repository");
        return spec;
    }

    /// <summary>The patterns of the test and few-shot splits, the group ones when a single group is asked and they exist.</summary>
    public (string Test, string? Fewshot) PatternsFor(string? group) => group != null && GroupTest != null
        ? (GroupTest.Replace("{group}", group, StringComparison.Ordinal), GroupFewshot?.Replace("{group}", group, StringComparison.Ordinal))
        : (Test, Fewshot);
}

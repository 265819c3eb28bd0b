using System.Text.Json;
using System.Text.Json.Nodes;
using Cria.Formats;

namespace Cria.Evaluation.Tasks;

/// <summary>One task of a group, its shots in the group, and the metric the group averages.</summary>
public sealed record GroupMember(string Task, int? NumFewshot, string Metric);

/// <summary>
/// A named set of tasks run together with their own shot counts, reported with the plain average of one metric
/// per member (×<see cref="Scale"/>): the Open LLM Leaderboard v1 is <c>leaderboard.json</c>.
/// </summary>
public sealed record TaskGroup(string Name, string SourceFile, IReadOnlyList<GroupMember> Members, double Scale)
{
    /// <summary>Whether a task folder's JSON file describes a group (it has a "group" field) rather than a task.</summary>
    public static bool IsGroupFile(string file) => TaskJson.TryReadObject(file)?.ContainsKey("group") == true;

    public static TaskGroup Load(string file)
    {
        JsonObject o = TaskJson.ReadObject(file, "group");
        string name = o["group"] is JsonValue g && g.TryGetValue(out string? n) ? n : throw new CriaFormatException(file, "group", "must be the group's name");
        if (o["tasks"] is not JsonArray tasks || tasks.Count == 0) throw new CriaFormatException(file, "tasks", "must be a non-empty list of {\"task\", \"num_fewshot\", \"metric\"}");
        List<GroupMember> members = [];
        for (int i = 0; i < tasks.Count; i++)
        {
            if (tasks[i] is not JsonObject t) throw new CriaFormatException(file, $"tasks[{i}]", "must be an object");
            string task = t["task"] is JsonValue tv && tv.TryGetValue(out string? ts) ? ts : throw new CriaFormatException(file, $"tasks[{i}].task", "is required");
            string metric = t["metric"] is JsonValue mv && mv.TryGetValue(out string? ms) && ms.Contains(',') ? ms : throw new CriaFormatException(file, $"tasks[{i}].metric", "is required, as a results key such as \"acc_norm,none\"");
            int? shots = t["num_fewshot"] is JsonValue sv ? (sv.TryGetValue(out int si) && si >= 0 ? si : throw new CriaFormatException(file, $"tasks[{i}].num_fewshot", "must be a non-negative integer")) : null;
            members.Add(new GroupMember(task, shots, metric));
        }
        double scale = o["scale"] is JsonValue sc ? (sc.TryGetValue(out double d) ? d : throw new CriaFormatException(file, "scale", "must be a number")) : 1;
        return new TaskGroup(name, file, members, scale);
    }
}

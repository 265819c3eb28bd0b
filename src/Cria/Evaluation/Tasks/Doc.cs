using System.Text.Json.Nodes;

namespace Cria.Evaluation.Tasks;

/// <summary>One dataset row: its 0-based index in the file (the harness's doc_id), the line it came from, its fields.</summary>
public sealed record Doc(int Id, int Line, string File, JsonObject Fields);

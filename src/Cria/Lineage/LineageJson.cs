using System.Text;
using System.Text.Json;

namespace Cria.Lineage;

/// <summary>A <see cref="LineageReport"/> as JSON (for scripts and the --json flag).</summary>
public static class LineageJson
{
    public static string Serialize(LineageReport r) => Write(j => WriteReport(j, r));

    public static string Serialize(IEnumerable<LineageReport> reports) => Write(j =>
    {
        j.WriteStartArray();
        foreach (LineageReport r in reports) WriteReport(j, r);
        j.WriteEndArray();
    });

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using MemoryStream ms = new();
        using (Utf8JsonWriter j = new(ms, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            body(j);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Number(Utf8JsonWriter j, string name, double v)
    {
        if (double.IsFinite(v)) j.WriteNumber(name, Math.Round(v, 6));
        else j.WriteNull(name);
    }

    public static void WriteReport(Utf8JsonWriter j, LineageReport r)
    {
        j.WriteStartObject();
        j.WriteString("model_a", r.ModelA);
        j.WriteString("model_b", r.ModelB);
        j.WriteString("verdict", r.Verdict.ToString().ToLowerInvariant());
        Number(j, "score", r.Score);
        Number(j, "score_se", r.ScoreSe);
        Number(j, "null_mean", r.NullMean);
        Number(j, "null_std", r.NullStd);
        Number(j, "z", r.ZScore);
        Number(j, "p_value", r.PValue);
        Number(j, "ceiling_z", r.CeilingZ);
        j.WriteString("reason", r.Reason);
        j.WriteStartArray("evidence");
        foreach (string e in r.Evidence) j.WriteStringValue(e);
        j.WriteEndArray();
        j.WriteStartObject("terms");
        foreach (TermScore t in r.Terms) Number(j, t.Term, t.AlignedMean);
        j.WriteEndObject();
        j.WriteStartArray("nulls");
        foreach (NullDistribution n in r.Nulls)
        {
            j.WriteStartObject();
            j.WriteString("name", n.Name);
            Number(j, "mean", n.Mean);
            Number(j, "std", n.Std);
            Number(j, "z", n.Z(r.Score, r.ScoreSe));
            j.WriteNumber("draws", n.Draws);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        if (r.MeanTensorCosine is double cos) Number(j, "tensor_cosine_mean", cos);
        else j.WriteNull("tensor_cosine_mean");
        if (r.EmbeddingGeometry is double g) Number(j, "embedding_geometry", g);
        else j.WriteNull("embedding_geometry");
        j.WriteStartObject("tokens");
        j.WriteNumber("vocab_a", r.Tokens.VocabA);
        j.WriteNumber("vocab_b", r.Tokens.VocabB);
        j.WriteNumber("shared", r.Tokens.Shared);
        j.WriteNumber("probes", r.Tokens.Count);
        j.WriteString("matched_by", r.Tokens.MatchedBy);
        j.WriteEndObject();
        j.WriteStartArray("layer_similarity");
        for (int i = 0; i < r.LayerSimilarity.GetLength(0); i++)
        {
            j.WriteStartArray();
            for (int k = 0; k < r.LayerSimilarity.GetLength(1); k++) j.WriteNumberValue(Math.Round(r.LayerSimilarity[i, k], 6));
            j.WriteEndArray();
        }
        j.WriteEndArray();
        j.WriteStartArray("alignment");
        foreach (var (a, b) in r.Alignment)
        {
            j.WriteStartArray();
            j.WriteNumberValue(a);
            j.WriteNumberValue(b);
            j.WriteEndArray();
        }
        j.WriteEndArray();
        j.WriteStartObject("architecture");
        j.WriteString("scheme_a", r.Architecture.SchemeA);
        j.WriteString("scheme_b", r.Architecture.SchemeB);
        j.WriteStartArray("config");
        foreach (ConfigRow c in r.Architecture.Config)
        {
            j.WriteStartObject();
            j.WriteString("field", c.Field);
            j.WriteString("a", c.A);
            j.WriteString("b", c.B);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteStartArray("tensors");
        foreach (TensorNameRow t in r.Architecture.Tensors)
        {
            j.WriteStartObject();
            j.WriteString("role", t.Role);
            j.WriteString("name_a", t.NameA);
            j.WriteString("name_b", t.NameB);
            j.WriteString("shape_a", t.ShapeA);
            j.WriteString("shape_b", t.ShapeB);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
        j.WriteStartArray("tensor_cosines");
        foreach (TensorCosineRow c in r.TensorCosines)
        {
            j.WriteStartObject();
            j.WriteString("role", c.Role);
            Number(j, "cosine", c.Cosine);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        Number(j, "seconds", r.Elapsed.TotalSeconds);
        j.WriteEndObject();
    }
}

using System.Text.Json;

namespace Cria.Tests.Text;

/// <summary>The cases of reference/tokenizer_encode_reference.json (sentencepiece, run.c and llama.cpp ids).</summary>
public static class EncodeReference
{
    public sealed record Case(string Vocab, string Text, int[] RunC, int[] LlamaCpp, string LlamaCppGguf, int[] SentencePieceNoBos);

    public static IReadOnlyList<Case> Load()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Path_("reference/tokenizer_encode_reference.json")));
        List<Case> cases = new();
        foreach (JsonProperty vocab in doc.RootElement.EnumerateObject())
        {
            foreach (JsonElement c in vocab.Value.GetProperty("cases").EnumerateArray())
            {
                cases.Add(new Case(vocab.Name, c.GetProperty("text").GetString()!, Ids(c, "run_c_encode_ids_bos"),
                    Ids(c, "llama_cpp_ids_bos"), c.GetProperty("llama_cpp_gguf").GetString()!, Ids(c, "sentencepiece_ids_no_bos")));
            }
        }
        return cases;
    }

    public static IEnumerable<Case> For(string vocab) => Load().Where(c => c.Vocab == vocab);

    private static int[] Ids(JsonElement c, string name) => c.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static string Show(int[] ids) => "[" + string.Join(",", ids) + "]";
}

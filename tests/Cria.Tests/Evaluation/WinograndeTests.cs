using System.Text.Json.Nodes;
using Cria.Evaluation;
using Cria.Evaluation.Tasks;
using Cria.Formats;
using Cria.Model;

namespace Cria.Tests.Evaluation;

/// <summary>
/// WinoGrande's partial scoring (the harness's multiple-input form): each option, put in the blank, ends its own
/// context, and the rest of the sentence is the one continuation scored after each. The fixtures hold no
/// WinoGrande rows, so a few are written here in the Hugging Face schema (sentence, option1, option2, answer).
/// </summary>
public class WinograndeTests
{
    private static readonly string[] Validation =
    [
        """{"sentence": "Tom gave the ball to Lily because _ was kind.", "option1": "Tom", "option2": "Lily", "answer": "1"}""",
        """{"sentence": "The cat could not catch the bird because _ was too fast.", "option1": "cat", "option2": "bird", "answer": "2"}""",
        """{"sentence": "Sue liked the cake more than the pie since _ was sweet.", "option1": "cake", "option2": "pie", "answer": "1"}""",
    ];

    private static readonly string[] Train =
    [
        """{"sentence": "The dog was happy because _ found a big stick.", "option1": "dog", "option2": "stick", "answer": "1"}""",
        """{"sentence": "Mom hugged Ben after _ fell down in the park.", "option1": "Mom", "option2": "Ben", "answer": "2"}""",
        """{"sentence": "The sun was hot so _ went to swim in the lake.", "option1": "the sun", "option2": "they", "answer": "2"}""",
    ];

    [SkippableFact]
    public void Partial_scoring_matches_the_reference()
    {
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));
        using TempDir tmp = new();
        Directory.CreateDirectory(tmp.File("winogrande"));
        File.WriteAllLines(tmp.File("winogrande/validation.jsonl"), Validation);
        File.WriteAllLines(tmp.File("winogrande/train.jsonl"), Train);
        PreparedTask task = PreparedTask.Prepare(TaskLoader.Load(HarnessAgreementTests.TaskFile("winogrande")), null, tmp.Path, 1234, 1, null)[0];
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        using Scorer scorer = new(model, m.Tokenizer!, 512, 2);
        List<JsonObject> samples = task.EvaluateMany([0, 1, 2], scorer);

        NaiveHarness reference = new(m, 512);
        PythonRandom rng = new(1234);
        for (int d = 0; d < Validation.Length; d++)
        {
            JsonObject row = (JsonObject)JsonNode.Parse(Validation[d])!;
            string sentence = row["sentence"]!.ToString();
            int blank = sentence.IndexOf('_');
            // The few-shot example: the train sentence with its correct option, then the rest of it.
            JsonObject ex = (JsonObject)JsonNode.Parse(Train[rng.Sample(Train.Length, 1)[0]])!;
            string exSentence = ex["sentence"]!.ToString();
            int exBlank = exSentence.IndexOf('_');
            string shot = exSentence[..exBlank] + ex[ex["answer"]!.ToString() == "1" ? "option1" : "option2"] + " " + exSentence[(exBlank + 1)..].Trim() + "\n\n";
            string continuation = " " + sentence[(blank + 1)..].Trim();
            string[] contexts = [shot + sentence[..blank] + row["option1"], shot + sentence[..blank] + row["option2"]];
            int gold = row["answer"]!.ToString() == "1" ? 0 : 1;

            JsonObject s = samples[d];
            Assert.Equal(gold, s["target"]!.GetValue<int>());
            double[] lls = new double[2];
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(contexts[i], s["arguments"]![i]![0]!.ToString());
                Assert.Equal(continuation, s["arguments"]![i]![1]!.ToString());
                (double ll, bool greedy) = reference.Loglikelihood(contexts[i], continuation);
                Assert.InRange(s["filtered_resps"]![i]![0]!.GetValue<double>() - ll, -1e-4, 1e-4);
                Assert.Equal(greedy, s["filtered_resps"]![i]![1]!.GetValue<bool>());
                lls[i] = ll;
            }
            Assert.Equal(Array.IndexOf(lls, lls.Max()) == gold ? 1.0 : 0.0, s["acc"]!.GetValue<double>());
        }
    }

    [Fact]
    public void A_sentence_without_a_blank_names_file_line_and_field()
    {
        using TempDir tmp = new();
        Directory.CreateDirectory(tmp.File("winogrande"));
        File.WriteAllLines(tmp.File("winogrande/validation.jsonl"), [Validation[0], """{"sentence": "No blank here.", "option1": "a", "option2": "b", "answer": "1"}"""]);
        TaskSpec spec = TaskLoader.Load(HarnessAgreementTests.TaskFile("winogrande"));
        CriaFormatException e = Assert.Throws<CriaFormatException>(() => PreparedTask.Prepare(spec, null, tmp.Path, 1234, 0, null));
        Assert.Contains("validation.jsonl:2", e.Message);
        Assert.Contains("sentence", e.Message);
        Assert.Contains("blank", e.Message);
    }
}

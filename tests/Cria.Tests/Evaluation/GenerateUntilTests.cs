using Cria.Evaluation;
using Cria.Formats;
using Cria.Model;

namespace Cria.Tests.Evaluation;

/// <summary>generate_until: greedy text equals run.c's greedy output, cut before the first stop string.</summary>
public class GenerateUntilTests
{
    [SkippableFact]
    public void Greedy_generation_stops_before_the_stop_string_as_run_c_continues()
    {
        string runC = File.ReadAllText(Fixtures.Path_("reference/stories260K/run_c_t0_n128_prompt_once_upon_a_time.stdout"));
        using LoadedModel m = ModelLoader.Load(Fixtures.Path_("models/stories260K/stories260K.bin"));
        using LlamaModel model = new(m) { Pool = NaiveHarness.OneThread };
        // run.c starts the prompt with BOS.
        using Scorer scorer = new(model, m.Tokenizer!, 512) { AddBos = true };
        const string prompt = "Once upon a time";
        string expectedAll = runC[prompt.Length..];

        string untilLily = scorer.GenerateUntil(prompt, ["Lily."], 100);
        Assert.Equal(expectedAll[..expectedAll.IndexOf("Lily.", StringComparison.Ordinal)], untilLily);

        string untilNewline = scorer.GenerateUntil(prompt, ["\n", "park"], 100);
        Assert.Equal(expectedAll[..expectedAll.IndexOf("park", StringComparison.Ordinal)], untilNewline);

        // Without a stop string the budget ends it: 10 tokens are a prefix of run.c's text.
        string ten = scorer.GenerateUntil(prompt, [], 10);
        Assert.StartsWith(ten, expectedAll);
        Assert.True(ten.Length > 10);
    }
}

using Cria.Evaluation;
using Cria.Evaluation.Tasks;

namespace Cria.Tests.Evaluation;

/// <summary>Must-show 5: GSM8K answer extraction and exact match, with the shipped task file's filters.</summary>
public class AnswerExtractionTests
{
    private static readonly TaskSpec Gsm8k = TaskLoader.Load(Path.Combine(Fixtures.RepoRoot, "src", "Cria.Cli", "tasks", "gsm8k.json"));

    public static TheoryData<string, string, string, string, double, double> Table => new()
    {
        // response, strict-match, flexible-extract, reference answer, exact_match strict, exact_match flexible
        { "She makes 9 * 2 = $18 every day.\n#### 18", "18", "18", "9 * 2 = 18\n#### 18", 1, 1 },
        { "The temperature falls to\n#### -5", "-5", "-5", "#### -5", 1, 1 },
        { "They picked 1,234 apples.\n#### 1,234", "1,234", "1,234", "#### 1234", 1, 1 },
        { "It costs $5.50.", "[invalid]", "$5.50.", "#### 5.50", 0, 1 },
        { "The answer is 7.", "[invalid]", "7.", "#### 7", 0, 1 },
        { "First 3, then 12, then 45 in total", "[invalid]", "45", "#### 45", 0, 1 },
        { "#### 10\nQuestion: #### 20", "10", "20", "#### 10", 1, 0 },
        { "I do not know.", "[invalid]", "[invalid]", "#### 3", 0, 0 },
        { "-12 degrees\n#### -12.", "-12.", "-12.", "#### -12", 1, 1 },
        { "So $1,000,000 total.\n#### $1,000,000", "[invalid]", "$1,000,000", "#### 1000000", 0, 1 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Extracts_and_matches(string response, string strict, string flexible, string reference, double emStrict, double emFlexible)
    {
        AnswerFilter s = Gsm8k.Filters.Single(f => f.Name == "strict-match");
        AnswerFilter f = Gsm8k.Filters.Single(f => f.Name == "flexible-extract");
        Assert.Equal(strict, AnswerExtraction.Extract(s, response));
        Assert.Equal(flexible, AnswerExtraction.Extract(f, response));
        Assert.Equal(emStrict, AnswerExtraction.ExactMatch(strict, reference, Gsm8k.ExactMatch));
        Assert.Equal(emFlexible, AnswerExtraction.ExactMatch(flexible, reference, Gsm8k.ExactMatch));
    }
}

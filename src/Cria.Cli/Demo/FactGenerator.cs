using System.Text;
using System.Text.Json.Nodes;

namespace Cria.Cli.Demo;

/// <summary>One attribute of an invented creature and the value the new data gives it.</summary>
public sealed record Fact(string Entity, string Attribute, string Value);

/// <summary>
/// The demo's "new data": invented creatures (names built from syllables, so no model has seen them) with a home
/// and a favourite food, stated in several phrasings, and a multiple-choice benchmark that asks for them in a
/// question form the corpus never uses. Seeded: the same seed gives the same creatures, facts and questions.
/// </summary>
public sealed class FactGenerator
{
    private static readonly string[] Syllables = ["bl", "qu", "zor", "fl", "mip", "tr", "vex", "gl", "dr", "pim", "sn", "kr", "wob", "pl", "yar", "fen"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "oo", "ee", "ai"];
    private static readonly string[] Endings = ["x", "n", "p", "rk", "ll", "b", "sh", "t"];

    /// <summary>Values no story uses, so a model that has not read the new data has no reason to prefer one.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Values = new Dictionary<string, string[]>
    {
        ["home"] = ["forest", "river", "cave", "hill", "lake", "island", "castle", "farm"],
        ["food"] = ["apples", "fish", "honey", "bread", "nuts", "carrots", "cheese", "berries"],
    };

    private static readonly Dictionary<string, string[]> Statements = new()
    {
        ["home"] = ["{0} lives in the {1}.", "The home of {0} is the {1}.", "Every night, {0} sleeps in the {1}."],
        ["food"] = ["{0} likes to eat {1}.", "The favorite food of {0} is {1}.", "Every day, {0} eats {1}."],
    };

    private readonly Random _rng;

    public IReadOnlyList<string> Entities { get; }
    public IReadOnlyList<Fact> Facts { get; }

    public FactGenerator(int seed, int entities)
    {
        _rng = new Random(seed);
        HashSet<string> names = [];
        while (names.Count < entities) names.Add(Name());
        Entities = [.. names];
        List<Fact> facts = [];
        foreach (string e in Entities)
            foreach ((string attribute, string[] values) in Values)
                facts.Add(new Fact(e, attribute, values[_rng.Next(values.Length)]));
        Facts = facts;
    }

    private string Name()
    {
        string Pick(string[] a) => a[_rng.Next(a.Length)];
        string n = Pick(Syllables) + Pick(Vowels) + Pick(Endings) + (_rng.Next(2) == 0 ? Pick(Vowels) + Pick(Endings) : "");
        return char.ToUpperInvariant(n[0]) + n[1..];
    }

    /// <summary>A short document of a few facts, each in a randomly chosen phrasing.</summary>
    public string Document(int facts)
    {
        StringBuilder s = new();
        for (int i = 0; i < facts; i++)
        {
            Fact f = Facts[_rng.Next(Facts.Count)];
            string[] forms = Statements[f.Attribute];
            if (i > 0) s.Append(' ');
            s.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, forms[_rng.Next(forms.Length)], f.Entity, f.Value));
        }
        return s.ToString();
    }

    /// <summary>
    /// One benchmark row per fact: a question the corpus never asks ("Question: Where does X live?") answered in a
    /// form close to one of its statements (the model must know the value: nothing in the prompt gives it), the true
    /// value among three others of the same attribute in random order, and the index of the true one.
    /// </summary>
    public IEnumerable<JsonObject> BenchmarkRows()
    {
        foreach (Fact f in Facts)
        {
            string question = f.Attribute == "home"
                ? $"Question: Where does {f.Entity} live?\nAnswer: {f.Entity} lives in the"
                : $"Question: What does {f.Entity} eat?\nAnswer: {f.Entity} eats";
            List<string> choices = [f.Value, .. Values[f.Attribute].Where(v => v != f.Value).OrderBy(_ => _rng.Next()).Take(3)];
            choices = [.. choices.OrderBy(_ => _rng.Next())];
            yield return new JsonObject
            {
                ["entity"] = f.Entity,
                ["attribute"] = f.Attribute,
                ["question"] = question,
                ["choices"] = new JsonArray([.. choices.Select(c => (JsonNode)c)]),
                ["label"] = choices.IndexOf(f.Value),
            };
        }
    }
}

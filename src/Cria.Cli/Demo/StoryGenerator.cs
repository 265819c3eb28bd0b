using System.Text;

namespace Cria.Cli.Demo;

/// <summary>The words a story world draws from; the sentence frames are shared.</summary>
public sealed record StoryWorld(string[] Names, string[] Animals, string[] Places, string[] Things, string[] Colors, string[] Sizes, string[] Feelings, string[] Games)
{
    /// <summary>The world of the demo's main corpus (Base and Derived).</summary>
    public static StoryWorld Home { get; } = new(
        ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna", "Max", "Lucy", "Tim", "Sue"],
        ["dog", "cat", "bird", "frog", "bunny", "duck"],
        ["park", "garden", "house", "beach", "yard", "school"],
        ["ball", "kite", "book", "hat", "box", "toy car", "cup", "drum"],
        ["red", "blue", "green", "yellow", "pink", "shiny"],
        ["big", "little", "small", "tall"],
        ["happy", "sad", "scared", "proud", "tired", "glad"],
        ["tag", "hide and seek", "catch", "a game"]);

    /// <summary>Another author's world, for the Rival: the same kind of story told with other characters and things.</summary>
    public static StoryWorld Elsewhere { get; } = new(
        ["Kai", "Nora", "Leo", "Ivy", "Finn", "Ella", "Omar", "Zoe", "Hugo", "Ruth"],
        ["fox", "owl", "bear", "mouse", "goat", "pig"],
        ["meadow", "pond", "barn", "shop", "street", "town"],
        ["boat", "sled", "ring", "lamp", "shell", "coin", "bell", "map"],
        ["gold", "silver", "purple", "orange", "white", "black"],
        ["huge", "tiny", "round", "long"],
        ["cheerful", "angry", "calm", "brave", "sleepy", "excited"],
        ["chess", "soccer", "cards", "a race"]);
}

/// <summary>
/// The demo's "old data": short children's stories from a small grammar (a hero, a friend, a place, a thing,
/// a small problem and its ending), drawn with a seeded <see cref="Random"/> so the same seed gives the same text.
/// </summary>
public sealed class StoryGenerator(int seed, StoryWorld? world = null)
{
    private readonly StoryWorld _w = world ?? StoryWorld.Home;
    private readonly Random _rng = new(seed);

    private string[] Names => _w.Names;
    private string[] Animals => _w.Animals;
    private string[] Places => _w.Places;
    private string[] Things => _w.Things;
    private string[] Colors => _w.Colors;
    private string[] Sizes => _w.Sizes;
    private string[] Feelings => _w.Feelings;
    private string[] Games => _w.Games;

    private string Pick(string[] options) => options[_rng.Next(options.Length)];

    public string Next()
    {
        string hero = Pick(Names), friend = Pick(Names.Where(n => n != hero).ToArray());
        string animal = Pick(Animals), place = Pick(Places), thing = Pick(Things), color = Pick(Colors), size = Pick(Sizes);
        StringBuilder s = new();
        s.Append(_rng.Next(3) switch
        {
            0 => $"Once upon a time, there was a {size} {animal} named {hero}. ",
            1 => $"One day, {hero} went to the {place}. ",
            _ => $"{hero} was a {Pick(Feelings)} little {animal}. ",
        });
        s.Append(_rng.Next(3) switch
        {
            0 => $"{hero} liked to play in the {place} with {friend}. ",
            1 => $"{hero} had a {color} {thing}. ",
            _ => $"{hero} and {friend} played {Pick(Games)} in the {place}. ",
        });
        s.Append(_rng.Next(3) switch
        {
            0 => $"One day, the {color} {thing} was lost. {hero} was {Pick(Feelings)}. ",
            1 => $"Then {friend} found a {size} {thing} under a tree. ",
            _ => $"\"Can I have your {thing}?\" asked {friend}. ",
        });
        s.Append(_rng.Next(3) switch
        {
            0 => $"{friend} said, \"Let's look for it together!\" They looked all around the {place}. ",
            1 => $"{hero} said, \"We can share it.\" {friend} smiled. ",
            _ => $"They ran to the {place} and played with the {thing} all day. ",
        });
        s.Append(_rng.Next(2) switch
        {
            0 => $"In the end, {hero} and {friend} were {Pick(Feelings)}.",
            _ => $"{hero} said, \"Thank you, {friend}!\" and went home.",
        });
        return s.ToString();
    }
}

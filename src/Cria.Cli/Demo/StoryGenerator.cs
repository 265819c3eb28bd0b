using System.Text;

namespace Cria.Cli.Demo;

/// <summary>
/// The demo's "old data": short children's stories from a small grammar (a hero, a friend, a place, a thing,
/// a small problem and its ending), drawn with a seeded <see cref="Random"/> so the same seed gives the same text.
/// </summary>
public sealed class StoryGenerator(int seed)
{
    private static readonly string[] Names = ["Tom", "Lily", "Ben", "Mia", "Sam", "Anna", "Max", "Lucy", "Tim", "Sue"];
    private static readonly string[] Animals = ["dog", "cat", "bird", "frog", "bunny", "duck"];
    private static readonly string[] Places = ["park", "garden", "house", "beach", "yard", "school"];
    private static readonly string[] Things = ["ball", "kite", "book", "hat", "box", "toy car", "cup", "drum"];
    private static readonly string[] Colors = ["red", "blue", "green", "yellow", "pink", "shiny"];
    private static readonly string[] Sizes = ["big", "little", "small", "tall"];
    private static readonly string[] Feelings = ["happy", "sad", "scared", "proud", "tired", "glad"];
    private static readonly string[] Games = ["tag", "hide and seek", "catch", "a game"];

    private readonly Random _rng = new(seed);

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

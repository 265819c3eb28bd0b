namespace Cria.Text;

/// <summary>One turn of a conversation: role ("system", "user", "assistant") and its text.</summary>
public readonly record struct ChatMessage(string Role, string Content)
{
    public static ChatMessage System(string content) => new("system", content);
    public static ChatMessage User(string content) => new("user", content);
    public static ChatMessage Assistant(string content) => new("assistant", content);
}

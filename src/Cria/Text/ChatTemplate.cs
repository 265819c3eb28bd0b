using System.Text;
using System.Text.RegularExpressions;

namespace Cria.Text;

/// <summary>
/// A built-in chat format that renders messages to the exact text the corresponding model's own Jinja
/// chat_template produces (with Hugging Face's trim_blocks/lstrip_blocks settings). Rendered text contains
/// the special tokens as text: encode it with parseSpecial, and without adding a BOS when <see cref="RendersBos"/>.
/// </summary>
public sealed partial class ChatTemplate
{
    private enum Format { Llama2, Llama3, ChatML, Zephyr }

    private readonly Format _format;

    public string Name { get; }

    /// <summary>Whether the rendered text starts with the BOS token, as Llama-2's and Llama-3's templates do.</summary>
    public bool RendersBos => _format is Format.Llama2 or Format.Llama3;

    /// <summary>The text that closes an assistant turn; generation in a chat stops there.</summary>
    public string EndOfTurn => _format switch
    {
        Format.Llama3 => "<|eot_id|>",
        Format.ChatML => "<|im_end|>",
        _ => "</s>",
    };

    /// <summary>The system prompt the model's template inserts when the conversation has none (Qwen's ChatML), or null.</summary>
    public string? DefaultSystemPrompt { get; }

    private ChatTemplate(Format format, string name, string? defaultSystemPrompt = null)
    {
        _format = format;
        Name = name;
        DefaultSystemPrompt = defaultSystemPrompt;
    }

    /// <summary>Llama-2-chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n…\n&lt;&lt;/SYS&gt;&gt;\n\nuser [/INST] answer &lt;/s&gt;</c>.</summary>
    public static ChatTemplate Llama2 { get; } = new(Format.Llama2, "llama2");

    /// <summary>Llama-3-Instruct: <c>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n…&lt;|eot_id|&gt;</c>.</summary>
    public static ChatTemplate Llama3 { get; } = new(Format.Llama3, "llama3");

    /// <summary>ChatML (Qwen, Yi, OpenHermes): <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>.</summary>
    public static ChatTemplate ChatML { get; } = new(Format.ChatML, "chatml");

    /// <summary>Zephyr / TinyLlama-chat: <c>&lt;|user|&gt;\n…&lt;/s&gt;\n</c>.</summary>
    public static ChatTemplate Zephyr { get; } = new(Format.Zephyr, "zephyr");

    public static IReadOnlyList<ChatTemplate> BuiltIn { get; } = [Llama2, Llama3, ChatML, Zephyr];

    /// <summary>The same format with a default system prompt inserted when a conversation starts without one.</summary>
    public ChatTemplate WithDefaultSystemPrompt(string? prompt) => new(_format, Name, prompt);

    /// <summary>A built-in by its <c>--template</c> name (llama2, llama3, chatml, zephyr; case-insensitive).</summary>
    public static ChatTemplate ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return BuiltIn.FirstOrDefault(t => t.Name.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown chat template '{name}'; valid names: {string.Join(", ", BuiltIn.Select(t => t.Name))}", nameof(name));
    }

    /// <summary>
    /// Which built-in a model's own Jinja chat_template is, recognised by its distinctive markers; null when it
    /// is none of them (Mistral's [INST] without &lt;&lt;SYS&gt;&gt;, Phi-3's &lt;|end|&gt;, Gemma …) or absent.
    /// Llama-3.1's longer template also reads as llama3; its date header is not reproduced.
    /// </summary>
    public static ChatTemplate? Detect(string? jinjaTemplate)
    {
        if (string.IsNullOrWhiteSpace(jinjaTemplate)) return null;
        string t = jinjaTemplate;
        if (t.Contains("<|start_header_id|>", StringComparison.Ordinal) && t.Contains("<|end_header_id|>", StringComparison.Ordinal)) return Llama3;
        if (t.Contains("<|im_start|>", StringComparison.Ordinal)) return ChatML.WithDefaultSystemPrompt(ChatMLDefaultSystem(t));
        if (t.Contains("<|user|>", StringComparison.Ordinal) && t.Contains("<|assistant|>", StringComparison.Ordinal)
            && t.Contains("eos_token", StringComparison.Ordinal) && !t.Contains("<|end|>", StringComparison.Ordinal)) return Zephyr;
        if (t.Contains("[INST]", StringComparison.Ordinal) && t.Contains("<<SYS>>", StringComparison.Ordinal)) return Llama2;
        return null;
    }

    // A literal system turn in the template source, e.g. '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'.
    // Quotes and braces are excluded so an expression such as "' + messages[0]['content'] + '" never matches.
    [GeneratedRegex(@"<\|im_start\|>system(?:\n|\\n)([^'""{}]*?)<\|im_end\|>", RegexOptions.CultureInvariant)]
    private static partial Regex ChatMLSystemLiteral();

    private static string? ChatMLDefaultSystem(string template)
    {
        Match m = ChatMLSystemLiteral().Match(template);
        return m.Success ? m.Groups[1].Value.Replace("\\n", "\n", StringComparison.Ordinal) : null;
    }

    /// <summary>Renders the conversation; with <paramref name="addGenerationPrompt"/> it ends with the assistant header.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return _format switch
        {
            Format.Llama2 => RenderLlama2(messages),
            Format.Llama3 => RenderLlama3(messages, addGenerationPrompt),
            Format.ChatML => RenderChatML(messages, addGenerationPrompt),
            _ => RenderZephyr(messages, addGenerationPrompt),
        };
    }

    // Llama-2's template takes a leading system message into the first user turn, insists on alternating
    // user/assistant turns, strips each turn, and has no generation prompt: "[/INST]" already asks for one.
    private static string RenderLlama2(IReadOnlyList<ChatMessage> messages)
    {
        StringBuilder sb = new();
        int first = messages.Count > 0 && messages[0].Role == "system" ? 1 : 0;
        string? system = first == 1 ? messages[0].Content : null;
        for (int i = first; i < messages.Count; i++)
        {
            int index = i - first;
            ChatMessage m = messages[i];
            if ((m.Role == "user") != (index % 2 == 0))
                throw new ArgumentException("Llama-2 conversations must alternate user/assistant/user/assistant/…", nameof(messages));
            string content = index == 0 && system != null ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.Content : m.Content;
            if (m.Role == "user") sb.Append("<s>[INST] ").Append(PyStrip(content)).Append(" [/INST]");
            else if (m.Role == "assistant") sb.Append(' ').Append(PyStrip(content)).Append(" </s>");
        }
        return sb.ToString();
    }

    private static string RenderLlama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        StringBuilder sb = new();
        for (int i = 0; i < messages.Count; i++)
        {
            if (i == 0) sb.Append("<|begin_of_text|>");
            sb.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n")
              .Append(PyStrip(messages[i].Content)).Append("<|eot_id|>");
        }
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }

    private string RenderChatML(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        StringBuilder sb = new();
        if (DefaultSystemPrompt != null && messages.Count > 0 && messages[0].Role != "system")
            sb.Append("<|im_start|>system\n").Append(DefaultSystemPrompt).Append("<|im_end|>\n");
        foreach (ChatMessage m in messages)
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    // Zephyr's template emits the generation prompt inside its loop (after the last message), so an empty
    // conversation renders as nothing; roles other than system/user/assistant produce no text.
    private static string RenderZephyr(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        StringBuilder sb = new();
        for (int i = 0; i < messages.Count; i++)
        {
            ChatMessage m = messages[i];
            if (m.Role is "user" or "system" or "assistant")
                sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("</s>\n");
            if (i == messages.Count - 1 && addGenerationPrompt) sb.Append("<|assistant|>\n");
        }
        return sb.ToString();
    }

    /// <summary>Python's str.strip(): Unicode whitespace plus the ASCII separators U+001C–U+001F.</summary>
    private static string PyStrip(string s)
    {
        static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';
        int a = 0, b = s.Length;
        while (a < b && IsSpace(s[a])) a++;
        while (b > a && IsSpace(s[b - 1])) b--;
        return s[a..b];
    }

    public override string ToString() => Name;
}

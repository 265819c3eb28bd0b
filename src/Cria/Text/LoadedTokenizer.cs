namespace Cria.Text;

/// <summary>
/// A tokenizer as <see cref="TokenizerLoader"/> found it, with what came along: the model's own chat template
/// (Jinja source) and a short description of where it was read from. Usable directly as the tokenizer.
/// </summary>
public sealed class LoadedTokenizer : ITokenizer
{
    public ITokenizer Tokenizer { get; }

    /// <summary>The model's chat_template (Jinja), or null when the files carry none.</summary>
    public string? ChatTemplateSource { get; }

    /// <summary>For messages: the file and the layout it was read as, e.g. "tokenizer.json (byte-level BPE)".</summary>
    public string Source { get; }

    public LoadedTokenizer(ITokenizer tokenizer, string? chatTemplateSource, string source)
    {
        Tokenizer = tokenizer;
        ChatTemplateSource = string.IsNullOrEmpty(chatTemplateSource) ? null : chatTemplateSource;
        Source = source;
    }

    /// <summary>The built-in template the model's own one matches (<see cref="ChatTemplate.Detect"/>), or null.</summary>
    public ChatTemplate? DetectChatTemplate() => ChatTemplate.Detect(ChatTemplateSource);

    public int VocabSize => Tokenizer.VocabSize;
    public int BosId => Tokenizer.BosId;
    public IReadOnlyList<int> EosIds => Tokenizer.EosIds;
    public bool AddBos => Tokenizer.AddBos;
    public int[] Encode(string text, bool addBos, bool parseSpecial = false) => Tokenizer.Encode(text, addBos, parseSpecial);
    public byte[] TokenBytes(int id, int previousId) => Tokenizer.TokenBytes(id, previousId);
    public string IdToPiece(int id) => Tokenizer.IdToPiece(id);
    public int PieceToId(string piece) => Tokenizer.PieceToId(piece);
    public bool IsControl(int id) => Tokenizer.IsControl(id);
}

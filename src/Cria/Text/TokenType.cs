namespace Cria.Text;

/// <summary>Token kinds, numbered as GGUF's <c>tokenizer.ggml.token_type</c> and SentencePiece's ModelProto do.</summary>
public enum TokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

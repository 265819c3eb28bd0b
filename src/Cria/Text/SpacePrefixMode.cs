namespace Cria.Text;

/// <summary>Where a SentencePiece-style tokenizer puts its dummy "▁" in front of the text.</summary>
public enum SpacePrefixMode
{
    /// <summary>No prefix (<c>add_space_prefix = false</c>).</summary>
    Never,

    /// <summary>Before every run of plain text: at the start and after each special token (llama.cpp, HF's Prepend normalizer).</summary>
    EveryTextRun,

    /// <summary>Only when the text run starts the input (HF Metaspace with <c>prepend_scheme = "first"</c>).</summary>
    StartOfInputOnly,
}

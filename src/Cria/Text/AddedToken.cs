namespace Cria.Text;

/// <summary>A token whose text is matched literally in the input before any BPE runs.</summary>
/// <param name="Text">The literal text, e.g. "&lt;|im_start|&gt;".</param>
/// <param name="Id">Its id.</param>
/// <param name="Special">Matched only when the caller asks for special tokens to be parsed; user-defined
/// (non-special added) tokens are matched always, as llama.cpp and Hugging Face tokenizers do.</param>
/// <param name="LStrip">Whitespace just before a match is swallowed.</param>
/// <param name="RStrip">Whitespace just after a match is swallowed.</param>
public readonly record struct AddedToken(string Text, int Id, bool Special, bool LStrip = false, bool RStrip = false);

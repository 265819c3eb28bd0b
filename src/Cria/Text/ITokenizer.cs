namespace Cria.Text;

/// <summary>
/// Text ↔ token ids for one model. Implementations reproduce the reference tokenizers
/// (llama.cpp / run.c for SentencePiece-style vocabularies, Hugging Face for byte-level BPE).
/// </summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>Beginning-of-sequence id, or -1 when the vocabulary has none.</summary>
    int BosId { get; }

    /// <summary>Ids that end generation (eos, eot, im_end …). May be empty.</summary>
    IReadOnlyList<int> EosIds { get; }

    /// <summary>Whether prompts normally start with BOS for this model.</summary>
    bool AddBos { get; }

    /// <summary>
    /// Encodes <paramref name="text"/>. With <paramref name="parseSpecial"/> the text of special tokens
    /// (such as "&lt;s&gt;" or "&lt;|im_start|&gt;") becomes their id; otherwise it is plain text.
    /// </summary>
    int[] Encode(string text, bool addBos, bool parseSpecial = false);

    /// <summary>
    /// The bytes token <paramref name="id"/> adds to the output text when it follows <paramref name="previousId"/>
    /// (-1 at the start). Control tokens add nothing; byte tokens add their byte; SentencePiece pieces
    /// drop the leading space right after BOS, as run.c and llama.cpp print them.
    /// </summary>
    byte[] TokenBytes(int id, int previousId);

    /// <summary>The raw vocabulary entry of <paramref name="id"/>.</summary>
    string IdToPiece(int id);

    /// <summary>The id of a raw vocabulary entry, or -1.</summary>
    int PieceToId(string piece);

    /// <summary>Control/special tokens (BOS, EOS, chat markers) that do not print.</summary>
    bool IsControl(int id);
}

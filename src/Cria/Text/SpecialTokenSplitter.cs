namespace Cria.Text;

/// <summary>A piece of the input: raw text to run BPE on (<see cref="TokenId"/> = -1) or one literal token.</summary>
internal readonly record struct TextFragment(int Start, int Length, int TokenId)
{
    public bool IsText => TokenId < 0;
}

/// <summary>
/// Cuts the input around literal tokens. Like llama.cpp, the longest tokens are placed first, each at every
/// occurrence in the text that is still raw, so a long token wins over a shorter one it overlaps.
/// </summary>
internal sealed class SpecialTokenSplitter
{
    private readonly AddedToken[] _tokens;

    public SpecialTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _tokens = tokens.Where(t => t.Text.Length > 0)
            .OrderByDescending(t => t.Text.Length).ThenBy(t => t.Id).ToArray();
    }

    public bool IsEmpty => _tokens.Length == 0;

    public List<TextFragment> Split(string text, bool parseSpecial)
    {
        List<TextFragment> fragments = new();
        if (text.Length == 0) return fragments;
        fragments.Add(new TextFragment(0, text.Length, -1));
        List<TextFragment> next = new();
        foreach (AddedToken token in _tokens)
        {
            if (token.Special && !parseSpecial) continue;
            if (!fragments.Any(f => f.IsText && f.Length >= token.Text.Length)) continue;
            next.Clear();
            foreach (TextFragment f in fragments)
            {
                if (f.IsText) SplitOne(text, f, token, next);
                else next.Add(f);
            }
            (fragments, next) = (next, fragments);
        }
        fragments.RemoveAll(f => f.IsText && f.Length == 0);
        return fragments;
    }

    private static void SplitOne(string text, TextFragment f, AddedToken token, List<TextFragment> output)
    {
        int pos = f.Start, end = f.Start + f.Length;
        while (pos < end)
        {
            int hit = text.AsSpan(pos, end - pos).IndexOf(token.Text, StringComparison.Ordinal);
            if (hit < 0) break;
            hit += pos;
            int before = hit;
            if (token.LStrip) while (before > pos && char.IsWhiteSpace(text[before - 1])) before--;
            output.Add(new TextFragment(pos, before - pos, -1));
            output.Add(new TextFragment(hit, token.Text.Length, token.Id));
            pos = hit + token.Text.Length;
            if (token.RStrip) while (pos < end && char.IsWhiteSpace(text[pos])) pos++;
        }
        output.Add(new TextFragment(pos, end - pos, -1));
    }
}

namespace Cria.Text;

/// <summary>
/// GPT-2's reversible byte ↔ character map: printable Latin-1 bytes stand for themselves and the other
/// 68 bytes take the characters from U+0100 on, so that every byte sequence becomes visible text
/// (a space is "Ġ", a newline "Ċ").
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();
    private static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    private static char[] Build()
    {
        char[] map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        char[] chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Maps the characters back to bytes; a character outside the alphabet yields its own UTF-8.</summary>
    public static byte[] Decode(string text)
    {
        List<byte> bytes = new(text.Length);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            if (CharToByte.TryGetValue(text[i], out byte b))
            {
                bytes.Add(b);
                continue;
            }
            int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
            int n = System.Text.Encoding.UTF8.GetBytes(text.AsSpan(i, len), buf);
            for (int k = 0; k < n; k++) bytes.Add(buf[k]);
            i += len - 1;
        }
        return bytes.ToArray();
    }
}

using Cria.Formats;

namespace Cria.Text;

// Temporary until the tokenizer branch lands.
public sealed record TokenizerBundle(ITokenizer Tokenizer, string? ChatTemplate);

public static class TokenizerLoader
{
    public static TokenizerBundle Load(string path, int? vocab) => throw new NotImplementedException(path);
    public static TokenizerBundle FromGguf(GgufFile g) => throw new NotImplementedException(g.Path);
    public static TokenizerBundle FromHfFolder(string dir) => throw new NotImplementedException(dir);
    public static TokenizerBundle FromLlama2cBin(string path, int vocab) => throw new NotImplementedException(path);
}

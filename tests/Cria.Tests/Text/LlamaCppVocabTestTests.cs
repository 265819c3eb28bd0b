using Cria.Formats;
using Cria.Text;

namespace Cria.Tests.Text;

/// <summary>
/// llama.cpp's own tokenizer test for the LLaMA SPM vocabulary (test-tokenizer-0): the .inp file holds the cases
/// separated by "\n__ggml_vocab_test__\n" (so each case loses its final newline), the .out file one line of ids
/// per case, without BOS.
/// </summary>
public class LlamaCppVocabTestTests
{
    private const string Dir = "models/gguf/ggml-vocab-llama-spm/";
    private const string Separator = "\n__ggml_vocab_test__\n";

    [SkippableFact]
    public void Encodes_every_case_like_llama_cpp()
    {
        string input = File.ReadAllText(Fixtures.Path_(Dir + "ggml-vocab-llama-spm.gguf.inp"));
        string[] output = File.ReadAllText(Fixtures.Path_(Dir + "ggml-vocab-llama-spm.gguf.out")).Split('\n');
        Assert.EndsWith(Separator, input, StringComparison.Ordinal);
        string[] cases = input[..^Separator.Length].Split(Separator);
        Assert.Equal(46, cases.Length);
        Assert.Equal("", output[^1]); // the .out file ends with a newline

        using GgufFile gguf = GgufFile.Open(Fixtures.Path_(Dir + "ggml-vocab-llama-spm.gguf"));
        ITokenizer tok = TokenizerLoader.FromGguf(gguf);
        List<string> failures = new();
        for (int i = 0; i < cases.Length; i++)
        {
            int[] want = output[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            int[] got = tok.Encode(cases[i], addBos: false, parseSpecial: false);
            if (!got.SequenceEqual(want))
                failures.Add($"case {i} {System.Text.Json.JsonSerializer.Serialize(cases[i])}: got {EncodeReference.Show(got)} want {EncodeReference.Show(want)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

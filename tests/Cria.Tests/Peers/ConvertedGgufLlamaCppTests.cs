using Cria.Formats;
using Cria.Generation;
using Cria.Model;

namespace Cria.Tests.Peers;

/// <summary>A GGUF Cria converts from llama2.c's stories260K loads in llama.cpp and decodes greedily as Cria does.</summary>
public class ConvertedGgufLlamaCppTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];
    private const int Continuation = 64;

    [SkippableFact]
    public void Converted_gguf_gives_llama_cpp_the_same_greedy_ids()
    {
        string src = Fixtures.Path_("models/stories260K/stories260K.bin");
        using TempDir d = new();
        string path = d.File("stories260K.gguf");
        ModelConverter.Convert(src, path);

        using LlamaCppPeer peer = LlamaCppPeer.Open(path, 128);
        int[] expected = peer.Greedy(Prompt, Continuation);

        using LoadedModel m = ModelLoader.Load(path, loadTokenizer: false);
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(128);
        float[] logits = new float[m.Config.VocabSize];
        model.Forward(Prompt, cache, logits);
        int[] ids = LogitsComparison.ContinueGreedy(model, cache, logits, Continuation);
        Assert.Equal(expected, ids);
    }
}

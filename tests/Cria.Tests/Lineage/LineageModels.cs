using Cria.Formats;
using Cria.Model;
using Cria.Text;
using Cria.Training;

namespace Cria.Tests.Lineage;

/// <summary>Small models for the lineage tests: stories260K, and copies or fresh models trained briefly with Cria.Training.</summary>
internal static class LineageModels
{
    public static string StoriesBin => Fixtures.Path_("models/stories260K/stories260K.bin");
    public static string StoriesGguf => Fixtures.Path_("models/gguf/stories260K/stories260K.gguf");
    public static string StoriesHf => Fixtures.Path_("models/stories260K-hf");
    public static string Tok512 => Fixtures.Path_("models/stories260K/tok512.bin");
    public static string Shakespeare => Fixtures.Path_("data/text/tiny_shakespeare.txt");

    /// <summary>The first <paramref name="chars"/> characters of a text file as [BOS]+ids.</summary>
    public static int[] Tokens(ITokenizer tok, string path, int chars)
    {
        using StreamReader r = new(path);
        char[] buf = new char[chars];
        int n = r.ReadBlock(buf, 0, chars);
        return tok.Encode(new string(buf, 0, n), addBos: true);
    }

    /// <summary>AdamW steps on random windows of <paramref name="stream"/>; returns the first and last loss.</summary>
    public static (float First, float Last) Train(TrainableLlama model, int[] stream, int steps, float lr, ulong dataSeed)
    {
        using Trainer trainer = new(model, new TrainerOptions { Batch = 4, Seq = 64, Schedule = LrSchedule.Constant(lr), AdamW = new AdamWOptions { WeightDecay = 0.01f } });
        RandomWindows data = new(new TokenStream([stream]), 64, dataSeed);
        float first = 0, last = 0;
        for (int i = 0; i < steps; i++)
        {
            last = trainer.Step(data).Loss;
            if (i == 0) first = last;
        }
        return (first, last);
    }

    /// <summary>Writes a trained model as an HF folder with the tok512 tokenizer.</summary>
    public static string Save(TrainableLlama model, string outDir, ITokenizer tok)
    {
        CheckpointWriter.Write(model, outDir, Tok512, tok);
        return outDir;
    }

    public static LoadedModel Load(string path) => path.EndsWith(".bin", StringComparison.Ordinal)
        ? ModelLoader.Load(path, Tok512)
        : ModelLoader.Load(path);
}

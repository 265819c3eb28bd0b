using Cria.Formats;
using Cria.Generation;
using Cria.Model;

namespace Cria.Tests.Peers;

/// <summary>
/// The end of the training route: a checkpoint `cria train` wrote (Hugging Face folder, q/k rows in rotate-half
/// order), converted by `cria convert` to GGUF, runs in llama.cpp with the logits and greedy ids Cria computes
/// from the checkpoint itself — for a LLaMA (stories260K continued) and for a Qwen2-style model with q/k/v biases
/// trained from scratch (written as GGUF's qwen2 architecture).
/// </summary>
public class TrainedCheckpointLlamaCppTests
{
    private static readonly int[] Prompt = [1, 403, 407, 261, 378];
    private const int Continuation = 48;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trained_checkpoint_converted_to_gguf_runs_in_llama_cpp_as_in_Cria(bool attentionBias)
    {
        string stories = Fixtures.Path_("models/stories260K/stories260K.bin");
        string sample = Fixtures.Path_("data/text/tinystories_sample.txt");
        using TempDir tmp = new();
        string data = tmp.File("data"), ckpt = tmp.File("ckpt"), gguf = tmp.File("trained.gguf"), config = tmp.File("config.json");
        Assert.Equal(0, CliRunner.Run("data", "prepare", sample, "--tokenizer", stories, "--out", data).ExitCode);
        File.WriteAllText(config, """
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 512, "max_position_embeddings": 256,
             "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": true}
            """);
        string[] source = attentionBias ? ["--config", config, "--tokenizer", Fixtures.Path_("models/stories260K/tok512.bin")] : ["--from", stories];
        var train = CliRunner.Run(["train", .. source, "--data", data, "--batch", "4", "--seq", "64", "--steps", "8", "--lr", "3e-3", "--out", ckpt]);
        Assert.True(train.ExitCode == 0, train.Stderr);
        var convert = CliRunner.Run("convert", ckpt, gguf);
        Assert.True(convert.ExitCode == 0, convert.Stderr);

        float[] trained = LogitsComparison.PromptLogitsAndGreedy(ckpt, Prompt, Continuation, out int[] criaIds);
        if (attentionBias)
        {
            using LoadedModel m = ModelLoader.Load(gguf, loadTokenizer: false);
            Assert.True(m.Config.AttentionBias);
            Assert.True(m.Weights.Layers[0].Bq!.Max(Math.Abs) > 1e-3, "the q bias did not move: the check would prove nothing");
        }
        else
        {
            float[] original = LogitsComparison.PromptLogitsAndGreedy(stories, Prompt, Continuation, out _);
            Assert.True(LogitsComparison.MaxAbsDiffPerRow(trained, original, 512).Max() > 0.1, "training did not move the model: the check would prove nothing");
        }
        float[] converted = LogitsComparison.PromptLogitsAndGreedy(gguf, Prompt, Continuation, out int[] ggufIds);
        Assert.Equal(criaIds, ggufIds);

        using LlamaCppPeer peer = LlamaCppPeer.Open(gguf, 128);
        Assert.Equal(512, peer.VocabSize);
        float[] expected = peer.AllLogits(Prompt);
        // F32 weights on both sides: only the summation order differs (stories260K itself agrees to ~6e-6).
        double[] diff = LogitsComparison.MaxAbsDiffPerRow(expected, converted, 512);
        Assert.True(diff.Max() <= 1e-4, $"max |Cria - llama.cpp| per position: {string.Join(", ", diff.Select(d => d.ToString("E2")))}");
        Assert.Equal(criaIds, peer.Greedy(Prompt, Continuation));
    }
}

using System.Globalization;
using Cria.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class InfoCommand : Command<ModelSettings>
{
    public override int Execute(CommandContext context, ModelSettings settings, CancellationToken cancellationToken)
    {
        using LoadedModel m = settings.Open(requireTokenizer: false);
        LlamaConfig c = m.Config;
        int ctx = settings.ContextFor(m);
        long kvBytes = 2L * c.Layers * ctx * c.KvDim * sizeof(float);
        string types = string.Join(", ", m.Weights.Matrices.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteLength))
            .Select(g => $"{g.Key} ({g.Count()} tensors)"));

        Table table = new Table().AddColumn("property").AddColumn("value").Border(TableBorder.Rounded);
        void Row(string k, string v) => table.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("path", m.Path);
        Row("format", m.Format);
        Row("architecture", c.Architecture);
        Row("parameters", $"{c.ParameterCount:N0} ({Human(c.ParameterCount, 1000)})");
        Row("dim / ffn / layers", $"{c.Dim} / {c.HiddenDim} / {c.Layers}");
        Row("heads / kv heads / head dim", $"{c.Heads} / {c.KvHeads} / {c.HeadDim}");
        Row("vocabulary", c.VocabSize.ToString(CultureInfo.InvariantCulture) + (m.Tokenizer is null ? " (no tokenizer found)" : $" (tokenizer: {m.Tokenizer.GetType().Name}, bos {m.Tokenizer.BosId}, eos {string.Join(",", m.Tokenizer.EosIds)})"));
        Row("context length", c.MaxSeqLen.ToString(CultureInfo.InvariantCulture));
        Row("rope", $"theta {c.RopeTheta}, {c.RopeDim} dims, {c.RopeLayout} pairs, scaling {c.RopeScaling.Type}" + (c.RopeScaling.Type == RopeScalingType.None ? "" : $" ×{c.RopeScaling.Factor}"));
        Row("norm eps", c.NormEps.ToString("G", CultureInfo.InvariantCulture));
        Row("tied embeddings", c.TiedEmbeddings ? "yes" : "no");
        Row("q/k/v bias", c.AttentionBias ? "yes" : "no");
        Row("weight types", types);
        Row("chat template", m.ChatTemplate is null ? "(none)" : "model's own");
        Row("weights", Human(m.WeightBytes, 1024) + "B (memory-mapped)");
        Row($"KV cache at ctx {ctx}", Human(kvBytes, 1024) + "B (fp32)");
        Row("memory needed", Human(m.WeightBytes + kvBytes, 1024) + "B");
        AnsiConsole.Write(table);
        return 0;
    }

    internal static string Human(long value, int unit)
    {
        string[] suffix = unit == 1024 ? ["", "Ki", "Mi", "Gi", "Ti"] : ["", "K", "M", "B", "T"];
        double v = value;
        int i = 0;
        while (v >= unit && i < suffix.Length - 1)
        {
            v /= unit;
            i++;
        }
        return v.ToString(i == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + " " + suffix[i];
    }
}

using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using Cria.Formats;
using Cria.Generation;
using Cria.Model;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class LogitsSettings : ModelSettings
{
    [CommandOption("--ids <IDS>")]
    [Description("Space-separated token ids, fed at positions 0, 1, …")]
    public string Ids { get; set; } = "";

    [CommandOption("--out <FILE>")]
    [Description("Output: little-endian float32 [positions][vocab].")]
    public string Out { get; set; } = "";
}

public sealed class LogitsCommand : Command<LogitsSettings>
{
    public override int Execute(CommandContext context, LogitsSettings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.Out)) throw new ArgumentException("--out FILE is required");
        int[] ids = ParseIds(settings.Ids);
        using LoadedModel m = settings.Open(requireTokenizer: false, loadTokenizer: false);
        if (ids.Length > m.Config.MaxSeqLen)
            Console.Error.WriteLine($"warning: {ids.Length} positions exceed the {m.Config.MaxSeqLen} the model was trained with");
        using LlamaModel model = new(m);
        using KvCache cache = model.CreateCache(ids.Length);
        float[] logits = new float[(long)ids.Length * m.Config.VocabSize];
        model.Forward(ids, cache, logits, allLogits: true);
        AtomicFile.Write(settings.Out, s => s.Write(MemoryMarshal.AsBytes(logits.AsSpan())));
        Console.Error.WriteLine($"wrote {ids.Length} × {m.Config.VocabSize} logits to {settings.Out}");
        return 0;
    }

    internal static int[] ParseIds(string text)
    {
        string[] parts = text.Split((char[])[' ', ',', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--ids needs at least one token id");
        int[] ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]) || ids[i] < 0)
                throw new ArgumentException($"--ids: '{parts[i]}' (item {i + 1}) is not a token id");
        return ids;
    }
}

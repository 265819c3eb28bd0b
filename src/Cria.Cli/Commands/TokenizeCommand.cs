using System.ComponentModel;
using Cria.Model;
using Spectre.Console.Cli;

namespace Cria.Cli.Commands;

public sealed class TokenizeSettings : ModelSettings
{
    [CommandArgument(1, "<text>")]
    public string Text { get; set; } = "";

    [CommandOption("--no-bos")]
    [Description("Do not add the BOS token.")]
    public bool NoBos { get; set; }

    [CommandOption("--special")]
    [Description("Parse special-token text such as <s> as the special token.")]
    public bool Special { get; set; }
}

public sealed class TokenizeCommand : Command<TokenizeSettings>
{
    public override int Execute(CommandContext context, TokenizeSettings settings, CancellationToken cancellationToken)
    {
        using LoadedModel m = settings.Open();
        int[] ids = m.Tokenizer!.Encode(settings.Text, addBos: m.Tokenizer.AddBos && !settings.NoBos, parseSpecial: settings.Special);
        Console.Out.WriteLine(string.Join(' ', ids));
        return 0;
    }
}

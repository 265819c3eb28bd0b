namespace Cria.Cli.Commands;
public sealed class ChatCommand : Spectre.Console.Cli.Command<SamplingSettings>
{
    public override int Execute(Spectre.Console.Cli.CommandContext context, SamplingSettings settings, CancellationToken cancellationToken) => throw new NotSupportedException("chat is not ready");
}

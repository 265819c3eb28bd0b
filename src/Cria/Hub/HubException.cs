namespace Cria.Hub;

/// <summary>
/// A Hub request or download failed for a reason the user can act on (network, access, missing repository or file,
/// checksum). An <see cref="IOException"/>, so the CLI prints the message as one line.
/// </summary>
public sealed class HubException(string message, Exception? inner = null) : IOException(message, inner);

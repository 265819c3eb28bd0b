using System.Threading.Channels;

namespace Cria.Generation;

/// <summary>
/// A request handed to the <see cref="BatchScheduler"/>: read <see cref="Tokens"/> until it completes, then
/// <see cref="Stats"/> holds the usage and finish reason. Cancelling the token given at submission frees the
/// slot at the next decode step.
/// </summary>
public sealed class ScheduledGeneration
{
    private readonly Channel<GeneratedToken> _channel = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource<GenerationStats> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ScheduledGeneration(GenerationRequest request, CancellationToken cancel)
    {
        Request = request;
        Cancel = cancel;
    }

    public GenerationRequest Request { get; }
    public CancellationToken Cancel { get; }
    public GenerationStats Stats { get; } = new();

    public ChannelReader<GeneratedToken> Tokens => _channel.Reader;

    /// <summary>Completes with the final stats when generation ends (faults if the engine failed).</summary>
    public Task<GenerationStats> Completion => _done.Task;

    internal ChannelWriter<GeneratedToken> Writer => _channel.Writer;

    internal void Complete(Exception? error)
    {
        _channel.Writer.TryComplete(error);
        if (error == null) _done.TrySetResult(Stats);
        else _done.TrySetException(error);
    }
}

/// <summary>Thrown by <see cref="BatchScheduler.Submit"/> when every slot is busy and the queue is full.</summary>
public sealed class QueueFullException(int queueLimit)
    : Exception($"the server is busy: all slots are in use and {queueLimit} requests are already waiting");

namespace Cria.Training;

/// <summary>Supplies batches of B rows × T tokens: inputs and their next-token targets.</summary>
public interface IBatchSource
{
    void Next(Span<int> inputs, Span<int> targets);
}

/// <summary>
/// The same batch every time: the first B×(T+1) tokens of a stream as B rows of T+1, x = row[:-1],
/// y = row[1:] (the single-batch overfit check).
/// </summary>
public sealed class FixedBatch : IBatchSource
{
    private readonly int[] _inputs;
    private readonly int[] _targets;

    public FixedBatch(ReadOnlySpan<int> stream, int batch, int seq)
    {
        int need = batch * (seq + 1);
        if (stream.Length < need) throw new ArgumentException($"the data has {stream.Length} tokens; one batch of {batch}×({seq}+1) needs {need}");
        _inputs = new int[batch * seq];
        _targets = new int[batch * seq];
        for (int b = 0; b < batch; b++)
        {
            ReadOnlySpan<int> row = stream.Slice(b * (seq + 1), seq + 1);
            row[..seq].CopyTo(_inputs.AsSpan(b * seq));
            row[1..].CopyTo(_targets.AsSpan(b * seq));
        }
    }

    public void Next(Span<int> inputs, Span<int> targets)
    {
        _inputs.CopyTo(inputs);
        _targets.CopyTo(targets);
    }
}

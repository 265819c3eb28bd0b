using Cria.Model;

namespace Cria.Lineage;

/// <summary>
/// The tensors of one decoder block that the invariants read (the gate projection is not used, see
/// <see cref="InvariantTerms"/>), with the attention's head layout. Views a model's memory-mapped weights or
/// owns the random ones of the null.
/// </summary>
internal sealed class InvariantLayer(
    float[] attnNorm, WeightTensor wq, WeightTensor wk, WeightTensor wv, WeightTensor wo,
    float[] ffnNorm, WeightTensor wUp, WeightTensor wDown, int heads, int kvHeads, bool owned) : IDisposable
{
    public float[] AttnNorm { get; } = attnNorm;
    public WeightTensor Wq { get; } = wq;
    public WeightTensor Wk { get; } = wk;
    public WeightTensor Wv { get; } = wv;
    public WeightTensor Wo { get; } = wo;
    public float[] FfnNorm { get; } = ffnNorm;
    public WeightTensor WUp { get; } = wUp;
    public WeightTensor WDown { get; } = wDown;
    public int Heads { get; } = heads;
    public int KvHeads { get; } = kvHeads;

    public static InvariantLayer Of(LayerWeights l, LlamaConfig c) =>
        new(l.AttnNorm, l.Wq, l.Wk, l.Wv, l.Wo, l.FfnNorm, l.WUp, l.WDown, c.Heads, c.KvHeads, owned: false);

    public void Dispose()
    {
        if (!owned) return;
        foreach (WeightTensor t in new[] { Wq, Wk, Wv, Wo, WUp, WDown }) t.Dispose();
    }
}

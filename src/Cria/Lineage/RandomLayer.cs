using Cria.Model;

namespace Cria.Lineage;

/// <summary>
/// One block of a freshly initialized model of a given shape, as training starts it (matrices with std 0.02, the
/// residual writers o/down scaled by 1/√(2·layers), gains 1): the null hypothesis of an independent model.
/// </summary>
internal static class RandomLayer
{
    public static InvariantLayer Create(LlamaConfig c, ulong seed)
    {
        float residualStd = 0.02f / MathF.Sqrt(2f * c.Layers);
        int salt = 0;
        WeightTensor Matrix(string name, int rows, int cols, float std)
        {
            WeightTensor t = WeightTensor.AllocateF32(name, rows, cols);
            FastRandom.Fill(t.AsF32Span(), std, seed * 31 + (ulong)++salt);
            return t;
        }
        float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();
        return new InvariantLayer(
            Ones(c.Dim),
            Matrix("wq", c.QDim, c.Dim, 0.02f), Matrix("wk", c.KvDim, c.Dim, 0.02f),
            Matrix("wv", c.KvDim, c.Dim, 0.02f), Matrix("wo", c.Dim, c.QDim, residualStd),
            Ones(c.Dim),
            Matrix("w_up", c.HiddenDim, c.Dim, 0.02f), Matrix("w_down", c.Dim, c.HiddenDim, residualStd),
            c.Heads, c.KvHeads, owned: true);
    }
}

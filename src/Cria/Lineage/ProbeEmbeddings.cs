using Cria.Model;

namespace Cria.Lineage;

/// <summary>
/// The probe inputs X: embedding rows of the shared tokens, each divided by its RMS as RMSNorm does before its
/// gain. Dividing by a norm commutes with any rotation of the residual stream, so X·Qᵀ of a rotated model gives
/// exactly the rotated probes.
/// </summary>
internal static unsafe class ProbeEmbeddings
{
    public static WeightTensor FromModel(WeightTensor embedding, int[] ids, float eps)
    {
        WeightTensor x = WeightTensor.AllocateF32("probes", ids.Length, embedding.Cols);
        Span<float> all = x.AsF32Span();
        for (int i = 0; i < ids.Length; i++) embedding.ReadRow(ids[i], all.Slice(i * embedding.Cols, embedding.Cols));
        NormalizeRows(x, eps);
        return x;
    }

    /// <summary>Random probe rows for a random-initialized model of width <paramref name="dim"/>.</summary>
    public static WeightTensor Random(int n, int dim, ulong seed, float eps)
    {
        WeightTensor x = WeightTensor.AllocateF32("random probes", n, dim);
        FastRandom.Fill(x.AsF32Span(), 0.02f, seed);
        NormalizeRows(x, eps);
        return x;
    }

    /// <summary>X·diag(g): the probes as the block's normalized input, gain included.</summary>
    public static WeightTensor Scaled(WeightTensor x, float[] gain)
    {
        WeightTensor y = WeightTensor.AllocateF32("scaled probes", x.Rows, x.Cols);
        Span<float> src = x.AsF32Span(), dst = y.AsF32Span();
        for (int r = 0; r < x.Rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(src.Slice(r * x.Cols, x.Cols), gain, dst.Slice(r * x.Cols, x.Cols));
        return y;
    }

    private static void NormalizeRows(WeightTensor x, float eps)
    {
        Span<float> all = x.AsF32Span();
        for (int r = 0; r < x.Rows; r++)
        {
            Span<float> row = all.Slice(r * x.Cols, x.Cols);
            double ss = 0;
            foreach (float v in row) ss += (double)v * v;
            float inv = (float)(1.0 / Math.Sqrt(ss / row.Length + eps));
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, inv, row);
        }
    }
}

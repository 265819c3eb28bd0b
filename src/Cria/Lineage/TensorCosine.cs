using Cria.Model;
using Cria.Tensors;

namespace Cria.Lineage;

/// <summary>Cosine of one pair of same-role tensors, flattened.</summary>
public sealed record TensorCosineRow(string Role, string NameA, string NameB, double Cosine);

/// <summary>
/// The naive measure: cosine similarity of the flattened same-role tensors (same layer index, same shape). It sees
/// fine-tuning, quantization and renaming through, but a permutation or rotation of hidden units drives it to ~0,
/// which is why the verdict rests on the invariants instead. q/k rows are compared in one RoPE layout, so an HF
/// checkpoint and its GGUF conversion line up row for row.
/// </summary>
public static class TensorCosine
{
    public static IReadOnlyList<TensorCosineRow> Compute(LoadedModel a, LoadedModel b, WorkerPool? pool = null)
    {
        pool ??= WorkerPool.Shared;
        List<TensorCosineRow> rows = new();
        void Add(string role, WeightTensor x, WeightTensor y, int headDimA = 0, int headDimB = 0)
        {
            if (x.Rows != y.Rows || x.Cols != y.Cols) return;
            rows.Add(new TensorCosineRow(role, x.Name, y.Name, Cosine(x, y, headDimA, headDimB, pool)));
        }
        // A q/k row index in interleaved order → the stored row in that model's layout.
        bool halvesA = a.Config.RopeLayout == RopeLayout.Halves, halvesB = b.Config.RopeLayout == RopeLayout.Halves;
        bool reorder = halvesA != halvesB;
        Add("token embedding", a.Weights.TokenEmbedding, b.Weights.TokenEmbedding);
        for (int l = 0; l < Math.Min(a.Config.Layers, b.Config.Layers); l++)
        {
            LayerWeights x = a.Weights.Layers[l], y = b.Weights.Layers[l];
            int hdA = reorder && halvesA ? a.Config.HeadDim : 0, hdB = reorder && halvesB ? b.Config.HeadDim : 0;
            Add($"layer {l} q", x.Wq, y.Wq, hdA, hdB);
            Add($"layer {l} k", x.Wk, y.Wk, hdA, hdB);
            Add($"layer {l} v", x.Wv, y.Wv);
            Add($"layer {l} o", x.Wo, y.Wo);
            Add($"layer {l} gate", x.WGate, y.WGate);
            Add($"layer {l} up", x.WUp, y.WUp);
            Add($"layer {l} down", x.WDown, y.WDown);
        }
        if (!(a.Config.TiedEmbeddings && b.Config.TiedEmbeddings)) Add("output", a.Weights.Output, b.Weights.Output);
        return rows;
    }

    /// <summary>Interleaved row r of a head → its row in rotate-half order (identity when headDim is 0).</summary>
    private static int StoredRow(int r, int headDim)
    {
        if (headDim == 0) return r;
        int h = r / headDim, within = r % headDim;
        return h * headDim + within % 2 * (headDim / 2) + within / 2;
    }

    private static double Cosine(WeightTensor x, WeightTensor y, int headDimX, int headDimY, WorkerPool pool)
    {
        const int Chunk = 64;
        int chunks = (x.Rows + Chunk - 1) / Chunk;
        double[] dot = new double[chunks], xx = new double[chunks], yy = new double[chunks];
        pool.For(chunks, c =>
        {
            float[] rx = new float[x.Cols], ry = new float[y.Cols];
            double d = 0, sx = 0, sy = 0;
            for (int r = c * Chunk; r < Math.Min(x.Rows, (c + 1) * Chunk); r++)
            {
                x.ReadRow(StoredRow(r, headDimX), rx);
                y.ReadRow(StoredRow(r, headDimY), ry);
                d += System.Numerics.Tensors.TensorPrimitives.Dot(rx, ry);
                sx += System.Numerics.Tensors.TensorPrimitives.Dot(rx, rx);
                sy += System.Numerics.Tensors.TensorPrimitives.Dot(ry, ry);
            }
            (dot[c], xx[c], yy[c]) = (d, sx, sy);
        });
        double den = Math.Sqrt(xx.Sum() * yy.Sum());
        return den > 0 ? dot.Sum() / den : 0;
    }
}

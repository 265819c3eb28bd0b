using Cria.Formats;
using Cria.Model;
using Cria.Tensors;
using Cria.Training;

namespace Cria.Lineage;

/// <summary>What <see cref="FunctionPreservingTransform"/> did to the weights.</summary>
public sealed record DisguiseSummary(int Seed, int[] KvHeadOrder, int[] MlpUnitOrder, double MaxAbsOrthogonalityError);

/// <summary>
/// Rewrites a model so that its tensors look unrelated to the original while it computes the same function — the
/// disguise a lineage test must see through: fold every RMSNorm gain into the matrices that read its output (the
/// final one into the output head, which is therefore untied from the embedding), permute the KV heads (with their
/// query heads) and the query heads within each GQA group, permute the MLP's intermediate units, and rotate the
/// residual stream by a seeded random orthogonal matrix Q (embedding E→EQᵀ, readers W→WQᵀ, writers W→QW).
/// RMSNorm with unit gain commutes with Q (it divides by a norm), so logits are unchanged up to float rounding.
/// Works on dequantized float copies: meant for small models (tests, demonstrations).
/// </summary>
public static class FunctionPreservingTransform
{
    /// <summary>The disguised weights as an in-memory model (F32, owning its tensors; the tokenizer is shared).</summary>
    public static LoadedModel Apply(LoadedModel m, int seed, out DisguiseSummary summary)
    {
        LlamaConfig c = m.Config;
        if (c.AttentionBias) throw new NotSupportedException($"{m.Path}: models with q/k/v biases cannot be disguised yet");
        if (c.Dim > 8192) throw new ArgumentException($"{m.Path}: dim {c.Dim} is too large for the dense rotation used here");
        NormalRandom rng = new((ulong)seed * 0x2545F4914F6CDD1DUL + 1);
        double[,] q = RandomOrthogonal(c.Dim, rng, out double orthoError);
        int group = c.Heads / c.KvHeads, hd = c.HeadDim;
        int[] kvOrder = Shuffle(c.KvHeads, rng);
        // New query head (g·group + s) is old head (kvOrder[g]·group + within[g][s]).
        int[] headOrder = new int[c.Heads];
        for (int g = 0; g < c.KvHeads; g++)
        {
            int[] within = Shuffle(group, rng);
            for (int s = 0; s < group; s++) headOrder[g * group + s] = kvOrder[g] * group + within[s];
        }

        float[] Read(WeightTensor t)
        {
            float[] v = new float[t.Elements];
            for (int r = 0; r < t.Rows; r++) t.ReadRow(r, v.AsSpan(r * t.Cols, t.Cols));
            return v;
        }

        WeightTensor embedding = Tensor(m.Weights.TokenEmbedding.Name, c.VocabSize, c.Dim, RotateReader(Read(m.Weights.TokenEmbedding), c.VocabSize, c.Dim, null, q));
        var layers = new LayerWeights[c.Layers];
        int[] mlpOrder = [];
        for (int l = 0; l < c.Layers; l++)
        {
            LayerWeights s = m.Weights.Layers[l];
            mlpOrder = Shuffle(c.HiddenDim, rng);
            float[] wq = PermuteRowBlocks(Read(s.Wq), headOrder, hd, c.Dim);
            float[] wk = PermuteRowBlocks(Read(s.Wk), kvOrder, hd, c.Dim);
            float[] wv = PermuteRowBlocks(Read(s.Wv), kvOrder, hd, c.Dim);
            float[] wo = PermuteColumnBlocks(Read(s.Wo), c.Dim, c.QDim, headOrder, hd);
            float[] gate = PermuteRowBlocks(Read(s.WGate), mlpOrder, 1, c.Dim);
            float[] up = PermuteRowBlocks(Read(s.WUp), mlpOrder, 1, c.Dim);
            float[] down = PermuteColumnBlocks(Read(s.WDown), c.Dim, c.HiddenDim, mlpOrder, 1);
            layers[l] = new LayerWeights
            {
                AttnNorm = Ones(c.Dim),
                Wq = Tensor(s.Wq.Name, c.QDim, c.Dim, RotateReader(wq, c.QDim, c.Dim, s.AttnNorm, q)),
                Wk = Tensor(s.Wk.Name, c.KvDim, c.Dim, RotateReader(wk, c.KvDim, c.Dim, s.AttnNorm, q)),
                Wv = Tensor(s.Wv.Name, c.KvDim, c.Dim, RotateReader(wv, c.KvDim, c.Dim, s.AttnNorm, q)),
                Wo = Tensor(s.Wo.Name, c.Dim, c.QDim, RotateWriter(wo, c.Dim, c.QDim, q)),
                FfnNorm = Ones(c.Dim),
                WGate = Tensor(s.WGate.Name, c.HiddenDim, c.Dim, RotateReader(gate, c.HiddenDim, c.Dim, s.FfnNorm, q)),
                WUp = Tensor(s.WUp.Name, c.HiddenDim, c.Dim, RotateReader(up, c.HiddenDim, c.Dim, s.FfnNorm, q)),
                WDown = Tensor(s.WDown.Name, c.Dim, c.HiddenDim, RotateWriter(down, c.Dim, c.HiddenDim, q)),
            };
        }
        WeightTensor output = Tensor("output.weight", c.VocabSize, c.Dim, RotateReader(Read(m.Weights.Output), c.VocabSize, c.Dim, m.Weights.FinalNorm, q));
        LlamaWeights w = new()
        {
            TokenEmbedding = embedding,
            Layers = layers,
            FinalNorm = Ones(c.Dim),
            Output = output,
            RopeFreqFactors = m.Weights.RopeFreqFactors,
        };
        summary = new DisguiseSummary(seed, kvOrder, mlpOrder, orthoError);
        return new LoadedModel
        {
            Path = m.Path + " (disguised)",
            Format = m.Format,
            Config = c with { TiedEmbeddings = false },
            Weights = w,
            Tokenizer = m.Tokenizer,
            ChatTemplate = m.ChatTemplate,
            Defaults = m.Defaults,
        };
    }

    /// <summary>Loads <paramref name="input"/>, disguises it and writes it with <see cref="ModelConverter.Write"/> (GGUF, HF folder or .bin, F32).</summary>
    public static DisguiseSummary Write(string input, string output, int seed)
    {
        using LoadedModel m = ModelLoader.Load(input);
        using LoadedModel d = Apply(m, seed, out DisguiseSummary summary);
        ModelConverter.Write(d, input, output, DType.F32);
        return summary;
    }

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    private static WeightTensor Tensor(string name, int rows, int cols, float[] values)
    {
        WeightTensor t = WeightTensor.AllocateF32(name, rows, cols);
        values.CopyTo(t.AsF32Span());
        return t;
    }

    private static int[] Shuffle(int n, NormalRandom rng)
    {
        int[] p = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)rng.NextLong(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Row block i of the result = row block order[i] of <paramref name="w"/> (blocks of <paramref name="block"/> rows).</summary>
    private static float[] PermuteRowBlocks(float[] w, int[] order, int block, int cols)
    {
        float[] r = new float[w.Length];
        for (int i = 0; i < order.Length; i++) Array.Copy(w, (long)order[i] * block * cols, r, (long)i * block * cols, block * cols);
        return r;
    }

    private static float[] PermuteColumnBlocks(float[] w, int rows, int cols, int[] order, int block)
    {
        float[] r = new float[w.Length];
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < order.Length; i++)
                Array.Copy(w, (long)row * cols + order[i] * block, r, (long)row * cols + i * block, block);
        return r;
    }

    /// <summary>W·diag(g)·Qᵀ for a matrix that reads the residual stream (g = null: no gain to fold).</summary>
    private static float[] RotateReader(float[] w, int rows, int cols, float[]? gain, double[,] q)
    {
        float[] r = new float[w.Length];
        Parallel.For(0, rows, row =>
        {
            double[] x = new double[cols];
            for (int k = 0; k < cols; k++) x[k] = w[(long)row * cols + k] * (double)(gain?[k] ?? 1f);
            for (int i = 0; i < cols; i++)
            {
                double s = 0;
                for (int k = 0; k < cols; k++) s += x[k] * q[i, k];
                r[(long)row * cols + i] = (float)s;
            }
        });
        return r;
    }

    /// <summary>Q·W for a matrix that writes the residual stream (rows = dim).</summary>
    private static float[] RotateWriter(float[] w, int rows, int cols, double[,] q)
    {
        float[] r = new float[w.Length];
        Parallel.For(0, rows, i =>
        {
            double[] acc = new double[cols];
            for (int k = 0; k < rows; k++)
            {
                double qik = q[i, k];
                for (int c = 0; c < cols; c++) acc[c] += qik * w[(long)k * cols + c];
            }
            for (int c = 0; c < cols; c++) r[(long)i * cols + c] = (float)acc[c];
        });
        return r;
    }

    /// <summary>A Haar-random orthogonal matrix: Gram–Schmidt (twice, for stability) on a Gaussian matrix.</summary>
    private static double[,] RandomOrthogonal(int n, NormalRandom rng, out double maxError)
    {
        double[,] q = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) q[i, j] = rng.Next();
        for (int i = 0; i < n; i++)
        {
            for (int pass = 0; pass < 2; pass++)
                for (int p = 0; p < i; p++)
                {
                    double d = 0;
                    for (int k = 0; k < n; k++) d += q[i, k] * q[p, k];
                    for (int k = 0; k < n; k++) q[i, k] -= d * q[p, k];
                }
            double norm = 0;
            for (int k = 0; k < n; k++) norm += q[i, k] * q[i, k];
            norm = Math.Sqrt(norm);
            for (int k = 0; k < n; k++) q[i, k] /= norm;
        }
        maxError = 0;
        for (int i = 0; i < Math.Min(n, 64); i++)
            for (int j = 0; j < n; j++)
            {
                double d = 0;
                for (int k = 0; k < n; k++) d += q[i, k] * q[j, k];
                maxError = Math.Max(maxError, Math.Abs(d - (i == j ? 1 : 0)));
            }
        return q;
    }
}

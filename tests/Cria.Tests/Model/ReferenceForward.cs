using Cria.Tensors;
using Cria.Model;

namespace Cria.Tests.Model;

/// <summary>
/// A deliberately naive float64 LLaMA forward pass (no cache, no batching, no SIMD), written directly from
/// the model's equations, used as the reference for the engine on random models.
/// </summary>
internal static class ReferenceForward
{
    public static double[][] Logits(LlamaConfig c, LlamaWeights w, int[] tokens)
    {
        int T = tokens.Length, hd = c.HeadDim;
        double[][] x = new double[T][];
        for (int t = 0; t < T; t++) x[t] = Row(w.TokenEmbedding, tokens[t]);
        double[] invFreq = Rope.InverseFrequencies(c, w.RopeFreqFactors).Select(f => (double)f).ToArray();

        foreach (LayerWeights lw in w.Layers)
        {
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++)
            {
                double[] h = Norm(x[t], lw.AttnNorm, c.NormEps);
                q[t] = Add(MatVec(lw.Wq, h), lw.Bq);
                k[t] = Add(MatVec(lw.Wk, h), lw.Bk);
                v[t] = Add(MatVec(lw.Wv, h), lw.Bv);
                for (int head = 0; head < c.Heads; head++) Rotate(q[t], head * hd, t, invFreq, c);
                for (int head = 0; head < c.KvHeads; head++) Rotate(k[t], head * hd, t, invFreq, c);
            }
            for (int t = 0; t < T; t++)
            {
                double[] att = new double[c.QDim];
                for (int head = 0; head < c.Heads; head++)
                {
                    int kvBase = head / (c.Heads / c.KvHeads) * hd;
                    double[] s = new double[t + 1];
                    for (int p = 0; p <= t; p++)
                    {
                        double d = 0;
                        for (int i = 0; i < hd; i++) d += q[t][head * hd + i] * k[p][kvBase + i];
                        s[p] = d / Math.Sqrt(hd);
                    }
                    double max = s.Max(), sum = s.Sum(e => Math.Exp(e - max));
                    for (int p = 0; p <= t; p++)
                    {
                        double a = Math.Exp(s[p] - max) / sum;
                        for (int i = 0; i < hd; i++) att[head * hd + i] += a * v[p][kvBase + i];
                    }
                }
                double[] o = MatVec(lw.Wo, att);
                for (int i = 0; i < c.Dim; i++) x[t][i] += o[i];
                double[] h2 = Norm(x[t], lw.FfnNorm, c.NormEps);
                double[] g = MatVec(lw.WGate, h2), u = MatVec(lw.WUp, h2);
                for (int i = 0; i < g.Length; i++) g[i] = g[i] / (1 + Math.Exp(-g[i])) * u[i];
                double[] down = MatVec(lw.WDown, g);
                for (int i = 0; i < c.Dim; i++) x[t][i] += down[i];
            }
        }
        double[][] logits = new double[T][];
        for (int t = 0; t < T; t++) logits[t] = MatVec(w.Output, Norm(x[t], w.FinalNorm, c.NormEps));
        return logits;
    }

    private static void Rotate(double[] vec, int offset, int pos, double[] invFreq, LlamaConfig c)
    {
        int pairs = c.RopeDim / 2;
        for (int i = 0; i < pairs; i++)
        {
            double angle = pos * invFreq[i];
            double cos = Math.Cos(angle), sin = Math.Sin(angle);
            int a = c.RopeLayout == RopeLayout.Interleaved ? offset + 2 * i : offset + i;
            int b = c.RopeLayout == RopeLayout.Interleaved ? offset + 2 * i + 1 : offset + i + pairs;
            double va = vec[a], vb = vec[b];
            vec[a] = va * cos - vb * sin;
            vec[b] = va * sin + vb * cos;
        }
    }

    private static double[] Row(WeightTensor t, int r)
    {
        float[] f = new float[t.Cols];
        t.ReadRow(r, f);
        return f.Select(v => (double)v).ToArray();
    }

    private static double[] MatVec(WeightTensor w, double[] x)
    {
        // The engine rounds activations to int8 blocks before these types' products (see MatMul); so does the reference.
        if (MatMul.QuantizesActivations(w.Type)) x = Tests.Tensors.Int8ActivationReference.Rounded(x.Select(v => (float)v).ToArray(), w.Type);
        float[] row = new float[w.Cols];
        double[] y = new double[w.Rows];
        for (int r = 0; r < w.Rows; r++)
        {
            w.ReadRow(r, row);
            double s = 0;
            for (int i = 0; i < w.Cols; i++) s += row[i] * x[i];
            y[r] = s;
        }
        return y;
    }

    private static double[] Norm(double[] x, float[] weight, float eps)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double scale = 1 / Math.Sqrt(ms + eps);
        return x.Select((v, i) => v * scale * weight[i]).ToArray();
    }

    private static double[] Add(double[] y, float[]? bias)
    {
        if (bias != null) for (int i = 0; i < y.Length; i++) y[i] += bias[i];
        return y;
    }
}

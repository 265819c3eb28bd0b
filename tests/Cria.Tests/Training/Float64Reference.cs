using Cria.Model;
using Cria.Training;

namespace Cria.Tests.Training;

/// <summary>
/// A plain float64 forward pass and mean cross-entropy of a LLaMA model whose parameters are a flat double
/// array laid out as <see cref="TrainableLlama.Parameters"/>: the reference for finite differences.
/// </summary>
internal static class Float64Reference
{
    public static double Loss(TrainableLlama m, double[] p, int[] inputs, int[] targets, int batch, int seq)
    {
        LlamaConfig c = m.Config;
        int d = c.Dim, hd = c.HeadDim, pairs = c.RopeDim / 2;
        double W(ParameterTensor t, int r, int col) => p[t.Offset + (long)r * t.Cols + col];
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            double[][] x = new double[seq][];
            for (int t = 0; t < seq; t++)
            {
                x[t] = new double[d];
                for (int i = 0; i < d; i++) x[t][i] = W(m.Embedding, inputs[b * seq + t], i);
            }
            foreach (LayerParameters l in m.Layers)
            {
                double[][] xn = x.Select(v => Norm(v, i => p[l.AttnNorm.Offset + i], c.NormEps)).ToArray();
                double[][] q = xn.Select(v => AddBias(p, l.Bq, MatVec(p, l.Wq, v))).ToArray();
                double[][] k = xn.Select(v => AddBias(p, l.Bk, MatVec(p, l.Wk, v))).ToArray();
                double[][] vv = xn.Select(v => AddBias(p, l.Bv, MatVec(p, l.Wv, v))).ToArray();
                for (int t = 0; t < seq; t++)
                {
                    for (int h = 0; h < c.Heads; h++) Rotate(q[t], h * hd, t, pairs, c);
                    for (int h = 0; h < c.KvHeads; h++) Rotate(k[t], h * hd, t, pairs, c);
                }
                double[][] att = new double[seq][];
                for (int t = 0; t < seq; t++)
                {
                    att[t] = new double[c.QDim];
                    for (int h = 0; h < c.Heads; h++)
                    {
                        int g = h / (c.Heads / c.KvHeads);
                        double[] s = new double[t + 1];
                        for (int u = 0; u <= t; u++)
                        {
                            double dot = 0;
                            for (int j = 0; j < hd; j++) dot += q[t][h * hd + j] * k[u][g * hd + j];
                            s[u] = dot / Math.Sqrt(hd);
                        }
                        double max = s.Max(), sum = s.Sum(e => Math.Exp(e - max));
                        for (int u = 0; u <= t; u++)
                            for (int j = 0; j < hd; j++) att[t][h * hd + j] += Math.Exp(s[u] - max) / sum * vv[u][g * hd + j];
                    }
                }
                for (int t = 0; t < seq; t++)
                {
                    double[] o = MatVec(p, l.Wo, att[t]);
                    for (int i = 0; i < d; i++) x[t][i] += o[i];
                    double[] n2 = Norm(x[t], i => p[l.FfnNorm.Offset + i], c.NormEps);
                    double[] gate = MatVec(p, l.WGate, n2), up = MatVec(p, l.WUp, n2);
                    double[] a = gate.Select((gv, i) => gv / (1 + Math.Exp(-gv)) * up[i]).ToArray();
                    double[] down = MatVec(p, l.WDown, a);
                    for (int i = 0; i < d; i++) x[t][i] += down[i];
                }
            }
            for (int t = 0; t < seq; t++)
            {
                double[] logits = MatVec(p, m.Output, Norm(x[t], i => p[m.FinalNorm.Offset + i], c.NormEps));
                double max = logits.Max();
                double lse = max + Math.Log(logits.Sum(e => Math.Exp(e - max)));
                total += lse - logits[targets[b * seq + t]];
            }
        }
        return total / (batch * seq);
    }

    private static double[] Norm(double[] x, Func<int, double> gain, double eps)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double r = 1 / Math.Sqrt(ms + eps);
        return x.Select((v, i) => v * r * gain(i)).ToArray();
    }

    private static double[] AddBias(double[] p, ParameterTensor? b, double[] y)
    {
        if (b != null)
            for (int i = 0; i < y.Length; i++) y[i] += p[b.Offset + i];
        return y;
    }

    private static double[] MatVec(double[] p, ParameterTensor w, double[] x)
    {
        double[] y = new double[w.Rows];
        for (int r = 0; r < w.Rows; r++)
        {
            double s = 0;
            for (int i = 0; i < w.Cols; i++) s += p[w.Offset + (long)r * w.Cols + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    private static void Rotate(double[] v, int start, int pos, int pairs, LlamaConfig c)
    {
        for (int i = 0; i < pairs; i++)
        {
            double angle = pos * Math.Pow(c.RopeTheta, -2.0 * i / c.RopeDim);
            int ia = c.RopeLayout == RopeLayout.Interleaved ? start + 2 * i : start + i;
            int ib = c.RopeLayout == RopeLayout.Interleaved ? start + 2 * i + 1 : start + i + pairs;
            double a = v[ia], b = v[ib];
            v[ia] = a * Math.Cos(angle) - b * Math.Sin(angle);
            v[ib] = a * Math.Sin(angle) + b * Math.Cos(angle);
        }
    }
}

using Cria.Model;

namespace Cria.Tests.Model;

/// <summary>Seeded random F32 weights for a given config, held in native memory.</summary>
internal static class RandomModel
{
    public static LlamaWeights Create(LlamaConfig c, int seed, float std = 0.1f)
    {
        Random rng = new(seed);
        float Next() => (float)((rng.NextDouble() * 2 - 1) * std * 1.7320508);

        WeightTensor Matrix(string name, int rows, int cols)
        {
            WeightTensor t = WeightTensor.AllocateF32(name, rows, cols);
            Span<float> s = t.AsF32Span();
            for (int i = 0; i < s.Length; i++) s[i] = Next();
            return t;
        }

        float[] Vector(int n, float center)
        {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = center + Next();
            return v;
        }

        WeightTensor embedding = Matrix("embed", c.VocabSize, c.Dim);
        LayerWeights[] layers = new LayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            layers[l] = new LayerWeights
            {
                AttnNorm = Vector(c.Dim, 1f),
                Wq = Matrix("wq", c.QDim, c.Dim),
                Wk = Matrix("wk", c.KvDim, c.Dim),
                Wv = Matrix("wv", c.KvDim, c.Dim),
                Wo = Matrix("wo", c.Dim, c.QDim),
                Bq = c.AttentionBias ? Vector(c.QDim, 0f) : null,
                Bk = c.AttentionBias ? Vector(c.KvDim, 0f) : null,
                Bv = c.AttentionBias ? Vector(c.KvDim, 0f) : null,
                FfnNorm = Vector(c.Dim, 1f),
                WGate = Matrix("w1", c.HiddenDim, c.Dim),
                WUp = Matrix("w3", c.HiddenDim, c.Dim),
                WDown = Matrix("w2", c.Dim, c.HiddenDim),
            };
        }
        return new LlamaWeights
        {
            TokenEmbedding = embedding,
            Layers = layers,
            FinalNorm = Vector(c.Dim, 1f),
            Output = c.TiedEmbeddings ? embedding : Matrix("output", c.VocabSize, c.Dim),
        };
    }
}

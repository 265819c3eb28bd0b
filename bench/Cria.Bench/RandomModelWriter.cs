using Cria.Formats;
using Cria.Tensors;

namespace Cria.Bench;

/// <summary>
/// Writes a LLaMA GGUF with N(0, 0.02) weights and unit norms. Matrices are generated, quantized and written
/// a slab of rows at a time while the file is written, so memory stays bounded even for billion-parameter shapes.
/// </summary>
internal static unsafe class RandomModelWriter
{
    private const float Std = 0.02f;
    private const long SlabBytes = 32L << 20;

    public static void Write(string path, ModelShape s, DType type, ulong seed)
    {
        GgufWriter w = new();
        w.Set("general.architecture", "llama");
        w.Set("general.name", $"random-{s.Name}-{type.ToString().ToLowerInvariant()}-seed{seed}");
        w.Set("llama.context_length", (uint)s.ContextLength);
        w.Set("llama.embedding_length", (uint)s.Dim);
        w.Set("llama.block_count", (uint)s.Layers);
        w.Set("llama.feed_forward_length", (uint)s.Ffn);
        w.Set("llama.attention.head_count", (uint)s.Heads);
        w.Set("llama.attention.head_count_kv", (uint)s.KvHeads);
        w.Set("llama.rope.dimension_count", (uint)s.HeadDim);
        w.Set("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.Set("llama.rope.freq_base", 10000f);
        SyntheticVocab.AddTo(w, s.Vocab);

        int index = 0;
        void Matrix(string name, int rows, int cols) => AddMatrix(w, name, type, rows, cols, seed, index++);
        void Norm(string name) => AddOnes(w, name, s.Dim);

        Matrix("token_embd.weight", s.Vocab, s.Dim);
        for (int l = 0; l < s.Layers; l++)
        {
            string b = $"blk.{l}.";
            Norm(b + "attn_norm.weight");
            Matrix(b + "attn_q.weight", s.Dim, s.Dim);
            Matrix(b + "attn_k.weight", s.KvDim, s.Dim);
            Matrix(b + "attn_v.weight", s.KvDim, s.Dim);
            Matrix(b + "attn_output.weight", s.Dim, s.Dim);
            Norm(b + "ffn_norm.weight");
            Matrix(b + "ffn_gate.weight", s.Ffn, s.Dim);
            Matrix(b + "ffn_up.weight", s.Ffn, s.Dim);
            Matrix(b + "ffn_down.weight", s.Dim, s.Ffn);
        }
        Norm("output_norm.weight");
        Matrix("output.weight", s.Vocab, s.Dim);
        w.Write(path);
    }

    private static void AddOnes(GgufWriter w, string name, int n)
    {
        float[] ones = new float[n];
        Array.Fill(ones, 1f);
        byte[] bytes = new byte[n * sizeof(float)];
        Buffer.BlockCopy(ones, 0, bytes, 0, bytes.Length);
        w.AddTensor(name, DType.F32, [n], bytes);
    }

    private static void AddMatrix(GgufWriter w, string name, DType type, int rows, int cols, ulong seed, int tensorIndex)
    {
        long rowBytes = type.ByteCount(cols);
        if (rowBytes < 0) throw new ArgumentException($"{name}: rows of {cols} are not a whole number of {type} blocks");
        w.AddTensor(name, type, [cols, rows], stream =>
        {
            int slabRows = (int)Math.Clamp(SlabBytes / rowBytes, 1, rows);
            byte[] slab = new byte[slabRows * rowBytes];
            for (int r0 = 0; r0 < rows; r0 += slabRows)
            {
                int count = Math.Min(slabRows, rows - r0);
                int first = r0;
                fixed (byte* p = slab)
                {
                    nint basePtr = (nint)p;
                    Parallel.For(0, count, () => new float[cols], (i, _, row) =>
                    {
                        NormalSampler rng = new(seed, tensorIndex, first + i);
                        for (int c = 0; c < cols; c++) row[c] = rng.Next(Std);
                        Quantize.Row(type, row, (byte*)basePtr + i * rowBytes);
                        return row;
                    }, _ => { });
                }
                stream.Write(slab, 0, (int)(count * rowBytes));
            }
        });
    }
}

namespace Cria.Model;

/// <summary>
/// Moves q/k weight rows between RoPE layouts: interleaved pairs (GGUF, llama2.c) and Hugging Face's
/// rotate-half order, head by head.
/// </summary>
public static class RopeRowOrder
{
    /// <summary>Reorders each head's rows from interleaved pairs (2i, 2i+1) to halves (i, i + hd/2).</summary>
    public static float[] ToRotateHalf(float[] rows, int nRows, int cols, int headDim)
    {
        float[] dst = new float[rows.Length];
        int half = headDim / 2;
        for (int r = 0; r < nRows; r++)
        {
            int h = r / headDim, within = r % headDim;
            int i = within / 2, j = within % 2;
            int to = h * headDim + j * half + i;
            Array.Copy(rows, (long)r * cols, dst, (long)to * cols, cols);
        }
        return dst;
    }

    /// <summary>Inverse of <see cref="ToRotateHalf"/>.</summary>
    public static float[] ToInterleaved(float[] rows, int nRows, int cols, int headDim)
    {
        float[] dst = new float[rows.Length];
        int half = headDim / 2;
        for (int r = 0; r < nRows; r++)
        {
            int h = r / headDim, within = r % headDim;
            int i = within / 2, j = within % 2;
            Array.Copy(rows, (long)(h * headDim + j * half + i) * cols, dst, (long)r * cols, cols);
        }
        return dst;
    }
}

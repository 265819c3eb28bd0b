namespace Cria.Tensors;

/// <summary>
/// Copies panels of A and B into the order the micro-kernels read them: A as slivers of <c>mr</c> rows stored
/// k-major (mr values per k), B as slivers of <c>nr</c> columns stored k-major (nr values per k). Rows or
/// columns past the matrix edge are zero. Transposed operands are handled here, so no whole matrix is
/// ever transposed.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [i0, i0 + rows) × k [p0, p0 + kc) of op(A) into ceil(rows / mr) slivers of kc·mr floats.
    /// op(A)[i, p] is a[i·lda + p], or a[p·lda + i] when <paramref name="transA"/>.
    /// </summary>
    public static void PackA(float* a, long lda, bool transA, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        float** src = stackalloc float*[mr];
        for (int s = 0; s < rows; s += mr)
        {
            int h = Math.Min(mr, rows - s);
            float* d = dst + (long)s * kc;
            if (transA)
            {
                float* col = a + (long)p0 * lda + i0 + s;
                for (int p = 0; p < kc; p++, col += lda, d += mr)
                {
                    int i = 0;
                    for (; i < h; i++) d[i] = col[i];
                    for (; i < mr; i++) d[i] = 0f;
                }
            }
            else
            {
                // One source row per tile row, read in step: the packed sliver is written in order.
                for (int i = 0; i < h; i++) src[i] = a + (long)(i0 + s + i) * lda + p0;
                for (int p = 0; p < kc; p++, d += mr)
                {
                    int i = 0;
                    for (; i < h; i++) d[i] = src[i][p];
                    for (; i < mr; i++) d[i] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs columns [j0, j0 + cols) × k [p0, p0 + kc) of op(B) as one sliver of kc·nr floats (cols ≤ nr).
    /// op(B)[p, j] is b[p·ldb + j], or b[j·ldb + p] when <paramref name="transB"/>.
    /// </summary>
    public static void PackBSliver(float* b, long ldb, bool transB, int j0, int cols, int p0, int kc, int nr, float* dst)
    {
        if (transB)
        {
            float** src = stackalloc float*[nr];
            for (int j = 0; j < cols; j++) src[j] = b + (long)(j0 + j) * ldb + p0;
            for (int p = 0; p < kc; p++, dst += nr)
            {
                int j = 0;
                for (; j < cols; j++) dst[j] = src[j][p];
                for (; j < nr; j++) dst[j] = 0f;
            }
        }
        else
        {
            float* src = b + (long)p0 * ldb + j0;
            for (int p = 0; p < kc; p++, src += ldb, dst += nr)
            {
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(dst, cols));
                for (int j = cols; j < nr; j++) dst[j] = 0f;
            }
        }
    }
}

package dev.ffnskip.jlama.kernels;

import java.util.Objects;

/**
 * An immutable weight matrix {@code W [rows = out, cols = in]} stored column-major and quantized to 8 bits along the
 * columns, so that a mat-vec that skips input channel {@code j} also skips reading column {@code W[:, j]}.
 *
 * <h2>Layout</h2>
 *
 * Every column is quantized in blocks of {@link #BLOCK} = 32 consecutive rows (Q8_0-like: symmetric, one float32 scale
 * per block, {@code scale = max|w| / 127}, {@code q = round(w / scale)} in [-127, 127], dequantized value
 * {@code q * scale}). {@code rows} is padded up to {@link #paddedRows()}, a multiple of 32 (so of every float vector
 * width up to 1024 bits); padded rows hold q = 0 and, in an otherwise empty block, scale 0. Storage is two flat arrays:
 *
 * <pre>
 *   quants  byte[cols * columnStride]          column j = quants[j * columnStride .. (j + 1) * columnStride)
 *   scales  float[cols * blocksPerColumn]       column j, block b = scales[j * blocksPerColumn + b]
 *   columnStride = groups * paddedRows,  blocksPerColumn = columnStride / 32
 * </pre>
 *
 * With {@code groups == 1} (the plain matrix, {@link #quantize}) storage row {@code s} of a column is logical row
 * {@code s}. An <em>interleaved</em> matrix ({@link #interleave}, {@link #quantizeInterleaved}; {@code groups == 2})
 * holds two matrices of the same shape, {@code A} and {@code B}, block by block inside every column:
 *
 * <pre>
 *   column j:  A[0..32, j] | B[0..32, j] | A[32..64, j] | B[32..64, j] | ...      (32 int8 each)
 *   storage block 2k = A's block k, storage block 2k + 1 = B's block k
 * </pre>
 *
 * so that the FFN's gate and up projections of one input channel are one contiguous stream, and any range of whole
 * block pairs is one contiguous slice of every column. Storage costs {@code 1 + 4/32 = 1.125} bytes per padded weight.
 *
 * <p>Sizes are limited by Java arrays: {@code cols * columnStride < 2^31}.
 */
public final class ColumnQ8Matrix {
    /** Rows per quantization block (and the padding granularity of {@link #paddedRows()}). */
    public static final int BLOCK = 32;

    private final int rows;
    private final int cols;
    private final int paddedRows;
    private final int groups;
    private final int columnStride;
    private final int blocksPerColumn;
    /** {@code cols * columnStride} int8 values, column-major (see the class comment). */
    final byte[] quants;
    /** {@code cols * blocksPerColumn} float32 scales. */
    final float[] scales;

    private ColumnQ8Matrix(int rows, int cols, int groups, byte[] quants, float[] scales) {
        this.rows = rows;
        this.cols = cols;
        this.groups = groups;
        this.paddedRows = padRows(rows);
        this.columnStride = groups * paddedRows;
        this.blocksPerColumn = columnStride / BLOCK;
        if (quants.length != (long) cols * columnStride || scales.length != (long) cols * blocksPerColumn) {
            throw new IllegalArgumentException("storage size mismatch");
        }
        this.quants = quants;
        this.scales = scales;
    }

    /** {@code rows} rounded up to a multiple of {@link #BLOCK}. */
    public static int padRows(int rows) {
        return (rows + BLOCK - 1) / BLOCK * BLOCK;
    }

    /**
     * Quantizes a row-major float matrix {@code w[r * cols + c]} into column-major Q8 blocks.
     *
     * @param w row-major weights, at least {@code rows * cols} values
     */
    public static ColumnQ8Matrix quantize(float[] w, int rows, int cols) {
        checkShape(w, rows, cols);
        int padded = padRows(rows);
        long size = (long) cols * padded;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("matrix too large: " + rows + "x" + cols);
        byte[] q = new byte[(int) size];
        float[] s = new float[cols * (padded / BLOCK)];
        quantizeInto(w, rows, cols, q, s, 1, 0);
        return new ColumnQ8Matrix(rows, cols, 1, q, s);
    }

    /**
     * Quantizes two row-major matrices of the same shape straight into the interleaved layout ({@code groups == 2}):
     * the same result as {@code interleave(quantize(first, ...), quantize(second, ...))} without the two intermediate
     * copies.
     */
    public static ColumnQ8Matrix quantizeInterleaved(float[] first, float[] second, int rows, int cols) {
        checkShape(first, rows, cols);
        checkShape(second, rows, cols);
        int padded = padRows(rows);
        long size = 2L * cols * padded;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("matrix too large: " + rows + "x" + cols);
        byte[] q = new byte[(int) size];
        float[] s = new float[cols * (2 * padded / BLOCK)];
        quantizeInto(first, rows, cols, q, s, 2, 0);
        quantizeInto(second, rows, cols, q, s, 2, 1);
        return new ColumnQ8Matrix(rows, cols, 2, q, s);
    }

    /**
     * Interleaves two plain matrices of the same shape block by block (see the class comment). The quantized values and
     * scales are copied bit for bit, so {@code interleaved.dequantized(g, r, c)} equals {@code a.get(r, c)} for
     * {@code g = 0} and {@code b.get(r, c)} for {@code g = 1}.
     */
    public static ColumnQ8Matrix interleave(ColumnQ8Matrix a, ColumnQ8Matrix b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.groups != 1 || b.groups != 1) throw new IllegalArgumentException("only plain matrices can be interleaved");
        if (a.rows != b.rows || a.cols != b.cols) {
            throw new IllegalArgumentException("shape mismatch: " + a.rows + "x" + a.cols + " vs " + b.rows + "x" + b.cols);
        }
        int padded = a.paddedRows;
        long size = 2L * a.cols * padded;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("matrix too large");
        byte[] q = new byte[(int) size];
        float[] s = new float[2 * a.scales.length];
        int nb = padded / BLOCK;
        for (int c = 0; c < a.cols; c++) {
            for (int k = 0; k < nb; k++) {
                int src = c * padded + k * BLOCK;
                int dst = c * 2 * padded + 2 * k * BLOCK;
                System.arraycopy(a.quants, src, q, dst, BLOCK);
                System.arraycopy(b.quants, src, q, dst + BLOCK, BLOCK);
                s[c * 2 * nb + 2 * k] = a.scales[c * nb + k];
                s[c * 2 * nb + 2 * k + 1] = b.scales[c * nb + k];
            }
        }
        return new ColumnQ8Matrix(a.rows, a.cols, 2, q, s);
    }

    private static void checkShape(float[] w, int rows, int cols) {
        Objects.requireNonNull(w, "w");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape must be positive: " + rows + "x" + cols);
        if (w.length < (long) rows * cols) {
            throw new IllegalArgumentException("w has " + w.length + " values, need " + (long) rows * cols);
        }
    }

    /**
     * Quantizes {@code w} (row-major) into group {@code group} of a {@code groups}-interleaved storage. Works on tiles
     * of 16 columns x 32 rows so that the strided reads of the row-major source stay in cache.
     */
    private static void quantizeInto(float[] w, int rows, int cols, byte[] q, float[] s, int groups, int group) {
        int padded = padRows(rows);
        int stride = groups * padded;
        int blocks = padded / BLOCK;
        int storageBlocks = stride / BLOCK;
        final int tile = 16;
        for (int c0 = 0; c0 < cols; c0 += tile) {
            int c1 = Math.min(cols, c0 + tile);
            for (int k = 0; k < blocks; k++) {
                int r0 = k * BLOCK;
                int r1 = Math.min(rows, r0 + BLOCK);
                for (int c = c0; c < c1; c++) {
                    float amax = 0f;
                    for (int r = r0; r < r1; r++) amax = Math.max(amax, Math.abs(w[r * cols + c]));
                    int sb = groups * k + group;
                    float scale = amax / 127f;
                    s[c * storageBlocks + sb] = scale;
                    if (scale == 0f) continue; // q stays 0 (the block is all zeros or padding)
                    int base = c * stride + sb * BLOCK;
                    for (int r = r0; r < r1; r++) {
                        int v = Math.round(w[r * cols + c] / scale);
                        q[base + (r - r0)] = (byte) Math.max(-127, Math.min(127, v));
                    }
                }
            }
        }
    }

    /** Logical rows (the output length of a mat-vec); for an interleaved matrix, the rows of each of the two. */
    public int rows() {
        return rows;
    }

    /** Columns (input channels). */
    public int cols() {
        return cols;
    }

    /** {@link #rows()} rounded up to a multiple of {@link #BLOCK}. */
    public int paddedRows() {
        return paddedRows;
    }

    /** 1 for a plain matrix, 2 for an interleaved pair. */
    public int groups() {
        return groups;
    }

    /** int8 values per stored column: {@code groups * paddedRows}. */
    public int columnStride() {
        return columnStride;
    }

    /** Scales per stored column: {@code columnStride / 32}. */
    public int blocksPerColumn() {
        return blocksPerColumn;
    }

    /** Bytes of weight storage (quants plus scales). */
    public long byteSize() {
        return quants.length + 4L * scales.length;
    }

    /** The dequantized weight {@code W[r, c]} of a plain matrix. */
    public float get(int r, int c) {
        if (groups != 1) throw new IllegalStateException("interleaved matrix: use dequantized(group, r, c)");
        return dequantized(0, r, c);
    }

    /** The dequantized weight {@code W_group[r, c]} (group 0 for a plain matrix). */
    public float dequantized(int group, int r, int c) {
        Objects.checkIndex(group, groups);
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        int sb = (r / BLOCK) * groups + group;
        return quants[c * columnStride + sb * BLOCK + r % BLOCK] * scales[c * blocksPerColumn + sb];
    }

    /** The scale of the block holding row {@code r} of column {@code c} in group {@code group}. */
    public float scale(int group, int r, int c) {
        Objects.checkIndex(group, groups);
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        return scales[c * blocksPerColumn + (r / BLOCK) * groups + group];
    }

    /**
     * The L2 norm of each column of the dequantized weights ({@code cols} values); for an interleaved pair, of the
     * two matrices' columns together. What the weighted channel criterion multiplies an input's magnitude by.
     */
    public float[] columnNorms() {
        float[] n = new float[cols];
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int k = 0; k < blocksPerColumn; k++) {
                double scale = scales[c * blocksPerColumn + k];
                long q2 = 0;
                for (int r = 0; r < BLOCK; r++) {
                    int q = quants[c * columnStride + k * BLOCK + r];
                    q2 += q * q;
                }
                sum += q2 * scale * scale;
            }
            n[c] = (float) Math.sqrt(sum);
        }
        return n;
    }

    /** The dequantized plain matrix, row-major {@code [rows * cols]} (for tests and references). */
    public float[] dequantizeRowMajor() {
        if (groups != 1) throw new IllegalStateException("interleaved matrix");
        float[] out = new float[rows * cols];
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) out[r * cols + c] = quants[c * columnStride + r] * scales[c * blocksPerColumn + r / BLOCK];
        }
        return out;
    }

    @Override
    public String toString() {
        return "ColumnQ8Matrix[" + rows + "x" + cols + (groups == 2 ? ", interleaved x2" : "") + "]";
    }
}

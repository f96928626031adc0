package dev.ffnskip.jlama.kernels;

import java.util.Objects;
import java.util.Optional;

/**
 * An immutable weight matrix {@code W [rows = out, cols = in]} in GGUF's Q4_1 quantization (blocks of 32 consecutive
 * <em>input</em> channels of one row, {@code w = q * d + m}, {@code q} in [0, 15], {@code d} and {@code m} float16),
 * stored column-major so that a mat-vec that skips input channel {@code j} skips reading column {@code W[:, j]}.
 *
 * <p>Why it exists: a Q4_1 GGUF file (SmolLM2-135M-Instruct's) is loaded as the float32 values of its blocks.
 * {@link ColumnQ8Matrix} re-quantizes those values along the other axis, which changes every weight a little and, on
 * SmolLM2, makes greedy answers drift from the dense decode before a single channel is skipped. This matrix keeps the
 * file's own blocks, so the channel-sparse FFN computes with exactly the weights the dense decode uses (only the order
 * of the float32 sums differs). {@link #exactly} recovers the blocks from the float values and refuses weights that
 * are not Q4_1 block values; {@link #quantize} quantizes any weights with the Q4_1 reference rule.
 *
 * <h2>Layout</h2>
 *
 * {@code cols} must be a multiple of {@link #BLOCK} (32): input block {@code b} is channels {@code [32b, 32b + 32)}.
 * {@code rows} is padded up to {@link #paddedRows()} (a multiple of 32; padded rows hold q = 0, d = m = 0). With
 * {@code groups == 2} ({@link #exactlyInterleaved}) two matrices of one shape, A (gate) and B (up), alternate by
 * 32-row storage blocks in every column as in {@link ColumnQ8Matrix}: storage block {@code 2k} = A's rows
 * {@code [32k, 32k + 32)}, {@code 2k + 1} = B's.
 *
 * <pre>
 *   nibbles  byte[cols * columnStride / 2]   column j = nibbles[j * columnStride / 2 ..), 16 bytes per storage block s:
 *                                            byte k = q(row 32s + k) | q(row 32s + 16 + k) << 4
 *   scales   float[inputBlocks * columnStride]  d of input block b, storage row s = scales[b * columnStride + s]
 *   mins     float[inputBlocks * columnStride]  m likewise
 *   columnStride = groups * paddedRows
 * </pre>
 *
 * A kernel accumulates {@code t[s] = sum of x_j q_sj} over the kept channels of one input block, then adds
 * {@code d[b, s] t[s] + m[b, s] (sum of those x_j)}: exactly {@code sum of x_j (q_sj d + m)} up to rounding. Storage
 * costs {@code 0.5 + 8/32 = 0.75} bytes per padded weight (the float16 d and m are kept as float32, for the vector
 * loads).
 */
public final class ColumnQ4Matrix {
    /** Input channels per quantization block, and rows per storage block. */
    public static final int BLOCK = 32;

    private final int rows;
    private final int cols;
    private final int paddedRows;
    private final int groups;
    private final int columnStride;
    private final int inputBlocks;
    final byte[] nibbles;
    final float[] scales;
    final float[] mins;

    private ColumnQ4Matrix(int rows, int cols, int groups) {
        this.rows = rows;
        this.cols = cols;
        this.groups = groups;
        this.paddedRows = ColumnQ8Matrix.padRows(rows);
        this.columnStride = groups * paddedRows;
        this.inputBlocks = cols / BLOCK;
        long size = (long) cols * columnStride;
        if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("matrix too large: " + rows + "x" + cols);
        this.nibbles = new byte[(int) (size / 2)];
        this.scales = new float[inputBlocks * columnStride];
        this.mins = new float[inputBlocks * columnStride];
    }

    /**
     * The Q4_1 blocks behind {@code w} (row-major {@code [rows, cols]}), when every block of 32 inputs of a row is
     * exactly {@code q * d + m} for float16 {@code d}, {@code m} and {@code q} in [0, 15] spanning the block, as the
     * Q4_1 reference quantizer writes it (its minimum has q = 0 and its maximum q = 15); empty otherwise (weights from
     * any other source: re-quantizing them to 4 bits would lose accuracy).
     */
    public static Optional<ColumnQ4Matrix> exactly(float[] w, int rows, int cols) {
        ColumnQ4Matrix m = new ColumnQ4Matrix(checkShape(w, rows, cols), cols, 1);
        return m.fill(w, 0, true) ? Optional.of(m) : Optional.empty();
    }

    /** {@link #exactly} for gate and up at once, interleaved ({@code groups == 2}); empty unless both are exact. */
    public static Optional<ColumnQ4Matrix> exactlyInterleaved(float[] first, float[] second, int rows, int cols) {
        checkShape(second, rows, cols);
        ColumnQ4Matrix m = new ColumnQ4Matrix(checkShape(first, rows, cols), cols, 2);
        return m.fill(first, 0, true) && m.fill(second, 1, true) ? Optional.of(m) : Optional.empty();
    }

    /** Quantizes any weights with the Q4_1 reference rule ({@code m = min}, {@code d = (max - min) / 15}); lossy. */
    public static ColumnQ4Matrix quantize(float[] w, int rows, int cols) {
        ColumnQ4Matrix m = new ColumnQ4Matrix(checkShape(w, rows, cols), cols, 1);
        m.fill(w, 0, false);
        return m;
    }

    /** {@link #quantize} for gate and up at once, interleaved. */
    public static ColumnQ4Matrix quantizeInterleaved(float[] first, float[] second, int rows, int cols) {
        checkShape(second, rows, cols);
        ColumnQ4Matrix m = new ColumnQ4Matrix(checkShape(first, rows, cols), cols, 2);
        m.fill(first, 0, false);
        m.fill(second, 1, false);
        return m;
    }

    private static int checkShape(float[] w, int rows, int cols) {
        Objects.requireNonNull(w, "w");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("shape must be positive: " + rows + "x" + cols);
        if (cols % BLOCK != 0) throw new IllegalArgumentException("Q4_1 blocks need cols to be a multiple of 32: " + cols);
        if (w.length < (long) rows * cols) {
            throw new IllegalArgumentException("w has " + w.length + " values, need " + (long) rows * cols);
        }
        return rows;
    }

    /**
     * Quantizes {@code w} into group {@code group}; with {@code exact}, stops and returns false at the first block whose
     * values the recovered {@code (d, m, q)} do not reproduce bit for bit.
     */
    private boolean fill(float[] w, int group, boolean exact) {
        for (int r = 0; r < rows; r++) {
            int s = (r / BLOCK * groups + group) * BLOCK + r % BLOCK; // storage row
            for (int b = 0; b < inputBlocks; b++) {
                int o = r * cols + b * BLOCK;
                float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < BLOCK; k++) {
                    min = Math.min(min, w[o + k]);
                    max = Math.max(max, w[o + k]);
                }
                float d = half((max - min) / 15f);
                float m = half(min);
                scales[b * columnStride + s] = d;
                mins[b * columnStride + s] = m;
                for (int k = 0; k < BLOCK; k++) {
                    float x = w[o + k];
                    int q = d == 0f ? 0 : Math.max(0, Math.min(15, Math.round((x - m) / d)));
                    if (exact && q * d + m != x) return false; // the dequantization rule of GGUF's Q4_1
                    setNibble(b * BLOCK + k, s, q);
                }
            }
        }
        return true;
    }

    private static float half(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private void setNibble(int col, int storageRow, int q) {
        int i = col * (columnStride / 2) + storageRow / BLOCK * 16 + storageRow % 16;
        int shift = storageRow % BLOCK < 16 ? 0 : 4;
        nibbles[i] = (byte) (nibbles[i] & ~(0xF << shift) | q << shift);
    }

    private int nibble(int col, int storageRow) {
        int v = nibbles[col * (columnStride / 2) + storageRow / BLOCK * 16 + storageRow % 16] & 0xFF;
        return storageRow % BLOCK < 16 ? v & 0xF : v >>> 4;
    }

    /** Logical rows; for an interleaved matrix, the rows of each of the two. */
    public int rows() {
        return rows;
    }

    /** Columns (input channels), a multiple of 32. */
    public int cols() {
        return cols;
    }

    public int paddedRows() {
        return paddedRows;
    }

    /** 1 for a plain matrix, 2 for an interleaved pair. */
    public int groups() {
        return groups;
    }

    /** Storage rows per column: {@code groups * paddedRows}. */
    public int columnStride() {
        return columnStride;
    }

    /** Quantization blocks along a row: {@code cols / 32}. */
    public int inputBlocks() {
        return inputBlocks;
    }

    /** Bytes of weight storage (nibbles, scales and mins). */
    public long byteSize() {
        return nibbles.length + 4L * scales.length + 4L * mins.length;
    }

    /** The weight {@code W_group[r, c]} (group 0 for a plain matrix), {@code q * d + m} as GGUF dequantizes it. */
    public float dequantized(int group, int r, int c) {
        Objects.checkIndex(group, groups);
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        int s = (r / BLOCK * groups + group) * BLOCK + r % BLOCK;
        int b = c / BLOCK;
        return nibble(c, s) * scales[b * columnStride + s] + mins[b * columnStride + s];
    }

    /** The weights of group {@code group}, row-major {@code [rows * cols]} (for tests and references). */
    public float[] dequantizeRowMajor(int group) {
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) out[r * cols + c] = dequantized(group, r, c);
        }
        return out;
    }

    /**
     * The L2 norm of each column of the weights ({@code cols} values); for an interleaved pair, of both matrices'
     * columns together (the weighted channel criterion's weights, as {@link ColumnQ8Matrix#columnNorms()}).
     */
    public float[] columnNorms() {
        float[] n = new float[cols];
        for (int c = 0; c < cols; c++) {
            double sum = 0;
            for (int g = 0; g < groups; g++) {
                for (int r = 0; r < rows; r++) {
                    double v = dequantized(g, r, c);
                    sum += v * v;
                }
            }
            n[c] = (float) Math.sqrt(sum);
        }
        return n;
    }

    @Override
    public String toString() {
        return "ColumnQ4Matrix[" + rows + "x" + cols + (groups == 2 ? ", interleaved x2" : "") + "]";
    }
}

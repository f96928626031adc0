package dev.ffnskip.jlama.ops;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperations;

/**
 * Jlama's tensor operations with two Jlama 0.8.4 bugs corrected; everything else is delegated unchanged.
 *
 * <p><b>Native gemm tail rows.</b> The native {@code gemm_*} kernels (F32, BF16, Q4 weights alike) tile the activation
 * rows in blocks of five. When a batch has more than five rows and the count is not a multiple of five, the rows of
 * the last, partial block come out wrong in half of their columns ({@code column % 8 >= 4}). Single-row products
 * (every decode step) are right; a prompt prefill of 6-9, 11-14, 16-19, ... tokens is not, which corrupts the KV cache
 * and the first generated token. Fix: after the batched call, the tail rows are recomputed one row at a time, which
 * the native kernel gets right; the fast kernels stay in use.
 *
 * <p><b>Row chunks that never run.</b> {@link VectorMath#pchunk} splits a matmul's output rows into
 * {@code parallelSplitSize()} chunks of {@code length / splits} rows plus {@code length % chunk} extra rows in the last
 * chunk, which loses rows whenever {@code length % splits >= length / splits}: with the native operations' 128 splits
 * a 192-row weight (stories260K's FFN) only gets 128 rows computed. Fix: the chunk that ends where pchunk's coverage
 * ends is extended to the last row. Every Jlama matmul that goes through pchunk spans all rows of its weight, which is
 * what makes the extension exact.
 *
 * <p>{@code NativeKernelBugsTest} pins both bugs down against a float64 reference.
 */
public final class CorrectedTensorOperations implements TensorOperations {
    /** Rows per tile in the native kernel; products with at most this many rows are always correct. */
    static final int NATIVE_ROW_TILE = 5;

    private final TensorOperations delegate;
    private final boolean fixGemmTail;
    private final int splitSize;

    /**
     * @param fixGemmTail recompute the native kernels' broken tail rows (only needed for the native operations)
     */
    public CorrectedTensorOperations(TensorOperations delegate, boolean fixGemmTail) {
        this.delegate = delegate;
        this.fixGemmTail = fixGemmTail;
        this.splitSize = Integer.getInteger("ffnskip.ops.splitSize", delegate.parallelSplitSize());
        if (splitSize < 1) throw new IllegalArgumentException("ffnskip.ops.splitSize must be >= 1, was " + splitSize);
    }

    public TensorOperations delegate() {
        return delegate;
    }

    /** Number of trailing rows the native kernel computes wrongly for a batch of {@code rows}. */
    static int brokenTailRows(int rows) {
        return rows > NATIVE_ROW_TILE ? rows % NATIVE_ROW_TILE : 0;
    }

    /** The end of the row range that {@link VectorMath#pchunk} actually covers for {@code length} rows and {@code splitSize}. */
    static int pchunkCoverage(int length, int splitSize) {
        int splits = Math.min(length, splitSize);
        if (splits <= 1) return length;
        int chunk = length / splits;
        return splits * chunk + length % chunk;
    }

    @Override
    public String name() {
        return delegate.name() + " (ffn-skip corrected)";
    }

    /** Chunks per matmul (Jlama's choice unless {@code -Dffnskip.ops.splitSize} overrides it). */
    @Override
    public int parallelSplitSize() {
        return splitSize;
    }

    @Override
    public void dotProductChunk(
        AbstractTensor result,
        AbstractTensor a,
        AbstractTensor b,
        int columnOffset,
        int columnLimit,
        int rowOffset,
        int rowChunkSize
    ) {
        int rows = completeChunk(b, rowOffset, rowChunkSize);
        batchDotProduct(result, a, b, columnOffset, columnOffset, columnLimit, 0, rowOffset, rows);
    }

    @Override
    public void dotProductBatchChunk(
        AbstractTensor[] result,
        AbstractTensor a,
        AbstractTensor[] b,
        int columnOffset,
        int columnLimit,
        int rowOffset,
        int rowChunkSize
    ) {
        int rows = completeChunk(b[0], rowOffset, rowChunkSize);
        delegate.dotProductBatchChunk(result, a, b, columnOffset, columnLimit, rowOffset, rows);
        int batch = a.shape().first();
        int tail = fixGemmTail ? brokenTailRows(batch) : 0;
        if (tail == 0) return;
        AbstractTensor[] rowResults = new AbstractTensor[result.length];
        for (int row = batch - tail; row < batch; row++) {
            for (int i = 0; i < result.length; i++) rowResults[i] = result[i].slice(row);
            delegate.dotProductBatchChunk(rowResults, a.slice(row), b, columnOffset, columnLimit, rowOffset, rows);
        }
    }

    /** Extends the last chunk pchunk hands out so that it reaches the weight's last row. */
    private int completeChunk(AbstractTensor weights, int rowOffset, int rowChunkSize) {
        int totalRows = weights.shape().first();
        int covered = pchunkCoverage(totalRows, parallelSplitSize());
        return covered < totalRows && rowOffset + rowChunkSize == covered ? totalRows - rowOffset : rowChunkSize;
    }

    @Override
    public void batchDotProduct(
        AbstractTensor result,
        AbstractTensor a,
        AbstractTensor b,
        int aColumnOffset,
        int bColumnOffset,
        int columnLimit,
        int rRowOffset,
        int bRowOffset,
        int rowChunkSize
    ) {
        delegate.batchDotProduct(result, a, b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize);
        int batch = a.shape().first();
        int tail = fixGemmTail ? brokenTailRows(batch) : 0;
        for (int row = batch - tail; row < batch; row++) {
            delegate.batchDotProduct(
                result.slice(row), a.slice(row), b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize
            );
        }
    }

    @Override
    public void accumulate(AbstractTensor a, AbstractTensor b, int offset, int length) {
        delegate.accumulate(a, b, offset, length);
    }

    @Override
    public void maccumulate(AbstractTensor a, AbstractTensor b, int offset, int length) {
        delegate.maccumulate(a, b, offset, length);
    }

    @Override
    public void saxpy(float alpha, AbstractTensor x, AbstractTensor y, int xoffset, int yoffset, int limit) {
        delegate.saxpy(alpha, x, y, xoffset, yoffset, limit);
    }

    @Override
    public void saxpy(
        AbstractTensor alpha,
        AbstractTensor x,
        AbstractTensor y,
        int xoffset,
        int yoffset,
        int limit,
        int rOffset,
        int xOffset,
        int batchSize
    ) {
        delegate.saxpy(alpha, x, y, xoffset, yoffset, limit, rOffset, xOffset, batchSize);
    }

    @Override
    public void scale(float factor, AbstractTensor x, int offset, int length) {
        delegate.scale(factor, x, offset, length);
    }

    @Override
    public AbstractTensor quantize(AbstractTensor t, DType qtype, int offset, int length) {
        return delegate.quantize(t, qtype, offset, length);
    }

    @Override
    public float sum(AbstractTensor a) {
        return delegate.sum(a);
    }
}

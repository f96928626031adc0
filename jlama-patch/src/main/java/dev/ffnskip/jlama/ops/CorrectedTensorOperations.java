package dev.ffnskip.jlama.ops;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.TensorShape;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.jlama.kernels.Q4DecodeMatmul;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Jlama's tensor operations with two Jlama 0.8.4 bugs corrected; everything else is delegated unchanged.
 *
 * <p><b>Native gemm tail rows.</b> The native {@code gemm_*} kernels (F32, BF16, Q4 weights alike) tile the activation
 * rows in blocks of five. When a batch has more than five rows and the count is not a multiple of five, the rows of
 * the last, partial block come out wrong in half of their columns ({@code column % 8 >= 4}). Single-row products
 * (every decode step) are right; a prompt prefill of 6-9, 11-14, 16-19, ... tokens is not, which corrupts the KV cache
 * and the first generated token. Fix: a batch of more than five rows whose count is not a multiple of five is run as
 * two calls on row views, the leading multiple of five and the (at most four) tail rows, both of which the native
 * kernel gets right; every weight is still read once per batch and the fast kernels stay in use.
 *
 * <p><b>Row chunks that never run.</b> {@link VectorMath#pchunk} splits a matmul's output rows into
 * {@code parallelSplitSize()} chunks of {@code length / splits} rows plus {@code length % chunk} extra rows in the last
 * chunk, which loses rows whenever {@code length % splits >= length / splits}: with the native operations' 128 splits
 * a 192-row weight (stories260K's FFN) only gets 128 rows computed. Fix: the chunk that ends where pchunk's coverage
 * ends is extended to the last row. Every Jlama matmul that goes through pchunk spans all rows of its weight, which is
 * what makes the extension exact.
 *
 * <p>{@code NativeKernelBugsTest} pins both bugs down against a float64 reference.
 *
 * <p><b>Our decode kernel.</b> Single-row products with a Q4 weight that one of our models adopted run on
 * {@link Q4DecodeMatmul} (ffn-skip's native Q4 x I8 kernel) instead of Jlama's; everything else is Jlama's.
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
        if (Q4DecodeMatmul.tryRun(result, a, b, columnOffset, columnLimit, rowOffset, rows)) return;
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
        if (Q4DecodeMatmul.tryRun(result, a, b, columnOffset, columnLimit, rowOffset, rows)) return;
        int batch = a.shape().first();
        int tail = fixGemmTail ? brokenTailRows(batch) : 0;
        if (tail == 0) {
            delegate.dotProductBatchChunk(result, a, b, columnOffset, columnLimit, rowOffset, rows);
            return;
        }
        int head = batch - tail;
        if (canViewRows(a) && canViewRows(result)) {
            AbstractTensor[] part = new AbstractTensor[result.length];
            for (int i = 0; i < result.length; i++) part[i] = rowView(result[i], 0, head);
            delegate.dotProductBatchChunk(part, rowView(a, 0, head), b, columnOffset, columnLimit, rowOffset, rows);
            for (int i = 0; i < result.length; i++) part[i] = rowView(result[i], head, batch);
            delegate.dotProductBatchChunk(part, rowView(a, head, batch), b, columnOffset, columnLimit, rowOffset, rows);
            return;
        }
        delegate.dotProductBatchChunk(result, a, b, columnOffset, columnLimit, rowOffset, rows);
        AbstractTensor[] rowResults = new AbstractTensor[result.length];
        for (int row = head; row < batch; row++) {
            for (int i = 0; i < result.length; i++) rowResults[i] = result[i].slice(row);
            delegate.dotProductBatchChunk(rowResults, a.slice(row), b, columnOffset, columnLimit, rowOffset, rows);
        }
    }

    /** Jlama's (protected) view constructor of every tensor type: a range of the backing buffer with its own shape. */
    private static final MethodHandle MAKE_VIEW = makeViewHandle();

    private static MethodHandle makeViewHandle() {
        try {
            return MethodHandles.privateLookupIn(AbstractTensor.class, MethodHandles.lookup())
                .findVirtual(AbstractTensor.class, "make", MethodType.methodType(AbstractTensor.class, int.class, int.class, TensorShape.class, boolean.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // falls back to recomputing the tail rows one at a time
        }
    }

    /** Row views need a dense two-dimensional tensor (no distributed sparse slices). */
    private static boolean canViewRows(AbstractTensor... tensors) {
        if (MAKE_VIEW == null) return false;
        for (AbstractTensor t : tensors) if (t.dims() != 2 || t.shape().isSparse()) return false;
        return true;
    }

    /** Rows {@code [from, to)} of a dense two-dimensional tensor, sharing its memory. */
    static AbstractTensor rowView(AbstractTensor t, int from, int to) {
        int columns = t.shape().last();
        try {
            return (AbstractTensor) MAKE_VIEW.invoke(t, from * columns, (to - from) * columns, TensorShape.of(to - from, columns), false);
        } catch (Throwable e) {
            throw new IllegalStateException("Cannot make a row view of " + t.shape() + ": " + e, e);
        }
    }

    /** Extends the last chunk pchunk hands out so that it reaches the weight's last row. */
    private int completeChunk(AbstractTensor weights, int rowOffset, int rowChunkSize) {
        return completeChunk(weights.shape().first(), rowOffset, rowChunkSize, parallelSplitSize());
    }

    /**
     * The rows a {@link VectorMath#pchunk} chunk {@code [rowOffset, rowOffset + rowChunkSize)} of {@code totalRows}
     * must cover: its own, and for the chunk that ends where pchunk's coverage ends, every row up to the last (the row
     * chunks that never run, above). For callers of pchunk with their own per-chunk work.
     */
    public static int completeChunk(int totalRows, int rowOffset, int rowChunkSize) {
        return completeChunk(totalRows, rowOffset, rowChunkSize, TensorOperationsProvider.get().parallelSplitSize());
    }

    private static int completeChunk(int totalRows, int rowOffset, int rowChunkSize, int splitSize) {
        int covered = pchunkCoverage(totalRows, splitSize);
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
        int batch = a.shape().first();
        int tail = fixGemmTail ? brokenTailRows(batch) : 0;
        if (tail == 0) {
            delegate.batchDotProduct(result, a, b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize);
            return;
        }
        int head = batch - tail;
        if (canViewRows(a, result)) {
            delegate.batchDotProduct(rowView(result, 0, head), rowView(a, 0, head), b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize);
            delegate.batchDotProduct(rowView(result, head, batch), rowView(a, head, batch), b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize);
            return;
        }
        delegate.batchDotProduct(result, a, b, aColumnOffset, bColumnOffset, columnLimit, rRowOffset, bRowOffset, rowChunkSize);
        for (int row = head; row < batch; row++) {
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

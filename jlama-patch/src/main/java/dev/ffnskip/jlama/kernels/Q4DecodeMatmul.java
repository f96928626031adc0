package dev.ffnskip.jlama.kernels;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import com.github.tjake.jlama.tensor.TensorShape;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Routes a Jlama matmul to {@link NativeQ4Kernel} when it is one our kernel computes: a Q4 weight that a model
 * {@linkplain #adopt adopted}, times one row of I8 activations, into a float32 result, over all columns.
 *
 * <p>Jlama's tensor operations are process-wide, so the route is decided per weight tensor: only the weights of our
 * models that run {@link DecodeKernels#NATIVE} are adopted, and a stock Jlama model in the same JVM keeps Jlama's
 * kernels. The adopted set is a copy-on-write identity map: lookups on the decode path take no lock and allocate nothing.
 */
public final class Q4DecodeMatmul {
    private static volatile Map<AbstractTensor, Boolean> adopted = new IdentityHashMap<>();

    private Q4DecodeMatmul() {}

    /** Whether {@code weight} can run on our kernel at all (Q4, two dimensions, not a shard, a multiple of 64 columns). */
    public static boolean fits(AbstractTensor weight) {
        return weight instanceof Q4ByteBufferTensor
            && weight.dims() == 2
            && whole(weight.shape())
            && weight.shape().last() % NativeQ4Kernel.COLUMN_MULTIPLE == 0;
    }

    /**
     * Whether a two-dimensional shape's data is all of it. Jlama marks every tensor loaded for a distributed context as
     * sparse, even when (one worker) its range is every row and column; a real shard has offsets we do not handle.
     */
    static boolean whole(TensorShape s) {
        return !s.isSparse()
            || s.sparseRowOffset() == 0 && s.sparseRowLength() == s.first() && s.sparseColumnOffset() == 0 && s.sparseColumnLength() == s.last();
    }

    /** Routes single-row products with {@code weight} to our kernel from now on; returns whether it fits. */
    public static synchronized boolean adopt(AbstractTensor weight) {
        if (!fits(weight)) return false;
        Map<AbstractTensor, Boolean> next = new IdentityHashMap<>(adopted);
        next.put(weight, Boolean.TRUE);
        adopted = next;
        return true;
    }

    /** Gives {@code weight} back to Jlama's kernels (a closed model's weights). */
    public static synchronized void release(Iterable<AbstractTensor> weights) {
        Map<AbstractTensor, Boolean> next = new IdentityHashMap<>(adopted);
        for (AbstractTensor w : weights) next.remove(w);
        adopted = next;
    }

    /** Whether single-row products with {@code weight} run on our kernel. */
    public static boolean isAdopted(AbstractTensor weight) {
        return adopted.containsKey(weight);
    }

    /**
     * Computes {@code result[0, j] = a[0, :] . b[j, :]} for {@code j} in {@code [rowOffset, rowOffset + rows)} on our
     * kernel and returns true, or returns false (nothing done) when this product is not one it takes.
     */
    public static boolean tryRun(AbstractTensor result, AbstractTensor a, AbstractTensor b, int columnOffset, int columnLimit,
            int rowOffset, int rows) {
        if (!accepts(result, a, b, columnOffset, columnLimit, rowOffset, rows)) return false;
        run((FloatBufferTensor) result, (Q8ByteBufferTensor) a, (Q4ByteBufferTensor) b, rowOffset, rows);
        return true;
    }

    /** {@link #tryRun} for a batch of weights sharing one input (Q, K, V; gate, up): all of it on our kernel, or none. */
    public static boolean tryRun(AbstractTensor[] result, AbstractTensor a, AbstractTensor[] b, int columnOffset, int columnLimit,
            int rowOffset, int rows) {
        if (result.length != b.length) return false;
        for (int i = 0; i < b.length; i++) if (!accepts(result[i], a, b[i], columnOffset, columnLimit, rowOffset, rows)) return false;
        for (int i = 0; i < b.length; i++) run((FloatBufferTensor) result[i], (Q8ByteBufferTensor) a, (Q4ByteBufferTensor) b[i], rowOffset, rows);
        return true;
    }

    /** Whether this product is one our kernel takes; every byte the kernel will touch is checked here. */
    static boolean accepts(AbstractTensor result, AbstractTensor a, AbstractTensor b, int columnOffset, int columnLimit, int rowOffset, int rows) {
        if (!isAdopted(b)) return false;
        if (!(a instanceof Q8ByteBufferTensor x) || !(result instanceof FloatBufferTensor out)) return false;
        int cols = b.shape().last();
        if (a.dims() != 2 || a.shape().first() != 1 || a.shape().last() != cols || !whole(a.shape())) return false;
        if (columnOffset != 0 || columnLimit != cols) return false;
        if (result.dims() != 2 || result.shape().first() != 1 || !whole(result.shape())) return false;
        if (rowOffset < 0 || rows < 0 || rowOffset + rows > b.shape().first() || rowOffset + rows > result.shape().last()) return false;
        Q4ByteBufferTensor w = (Q4ByteBufferTensor) b;
        long blocks = cols / NativeQ4Kernel.BLOCK;
        return (long) (rowOffset + rows) * (cols / 2) <= w.getMemorySegment().byteSize()
            && (long) (rowOffset + rows) * blocks * Float.BYTES <= w.getBlockF().getMemorySegment().byteSize()
            && cols <= x.getMemorySegment().byteSize()
            && blocks * Float.BYTES <= x.getBlockF().getMemorySegment().byteSize()
            && (long) (rowOffset + rows) * Float.BYTES <= out.getMemorySegment().byteSize();
    }

    private static void run(FloatBufferTensor out, Q8ByteBufferTensor x, Q4ByteBufferTensor w, int rowOffset, int rows) {
        if (rows == 0) return;
        int cols = w.shape().last();
        int blocks = cols / NativeQ4Kernel.BLOCK;
        NativeQ4Kernel.rows(
            w.getMemorySegment(), (long) rowOffset * (cols / 2),
            w.getBlockF().getMemorySegment(), (long) rowOffset * blocks * Float.BYTES,
            x.getMemorySegment(), 0,
            x.getBlockF().getMemorySegment(), 0,
            out.getMemorySegment(), (long) rowOffset * Float.BYTES,
            cols, rows);
    }
}

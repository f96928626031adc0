package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link NativeQ4Kernel} through {@link Q4DecodeMatmul}: Jlama Q4 weights times Jlama I8 activations against a float64
 * reference of the same (dequantized) values.
 *
 * <p>Tolerance: the kernel's sums within a block are exact integers (|sum| <= 32 * 15 * 127 < 2^24, so converting
 * one to float32 is exact); each block then costs one float32 product of the two scales and one fused multiply-add,
 * and the 16 lane sums are added at the end. That is at most {@code blocks + 6} roundings of relative size 2^-24 on
 * partial sums bounded by {@code sum |w x|}: the bound below. A wrong offset, block order or nibble half is off by a
 * whole term and fails it.
 */
class NativeQ4KernelTest {

    @BeforeAll
    static void kernelIsBuiltHere() {
        // This machine (and CI) has a C compiler and AVX-512 VNNI: the kernel must be there, not silently skipped.
        assertThat(NativeQ4Kernel.unavailableReason()).isEmpty();
        assertThat(NativeQ4Kernel.available()).isTrue();
        TensorOperationsGuard.ensureCorrect();
    }

    static FloatBufferTensor gaussian(Random r, int rows, int cols, double sigma) {
        FloatBufferTensor t = new FloatBufferTensor(rows, cols);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t.set((float) (r.nextGaussian() * sigma), i, j);
        return t;
    }

    /** out[j] for j in [rowOffset, rowOffset + rows) to float64, and the bound for each. */
    static void assertWithinBound(AbstractTensor out, Q4ByteBufferTensor w, Q8ByteBufferTensor x, int rowOffset, int rows) {
        int cols = w.shape().last();
        int blocks = cols / 32;
        for (int j = rowOffset; j < rowOffset + rows; j++) {
            double ref = 0, abs = 0;
            for (int c = 0; c < cols; c++) {
                double p = (double) w.get(j, c) * x.get(0, c);
                ref += p;
                abs += Math.abs(p);
            }
            double bound = (blocks + 6) * Math.ulp(1f) / 2 * abs + 1e-30;
            assertThat(Math.abs(out.get(0, j) - ref)).as("row %d of %d x %d", j, w.shape().first(), cols).isLessThanOrEqualTo(bound);
        }
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({ "1,64", "3,128", "37,576", "64,1536", "130,2048", "17,8192" })
    void matchesTheFloat64ReferenceOverEveryRowChunk(int rows, int cols) {
        Random r = new Random(rows * 7919L + cols);
        Q4ByteBufferTensor w = new Q4ByteBufferTensor(gaussian(r, rows, cols, 0.05));
        Q8ByteBufferTensor x = new Q8ByteBufferTensor(gaussian(r, 1, cols, 1.0));
        assertThat(Q4DecodeMatmul.adopt(w)).isTrue();
        try {
            // whole matrix, then a chunk that starts and ends inside it (Jlama hands out row chunks per thread)
            FloatBufferTensor out = new FloatBufferTensor(1, rows);
            assertThat(Q4DecodeMatmul.tryRun(out, x, w, 0, cols, 0, rows)).isTrue();
            assertWithinBound(out, w, x, 0, rows);
            FloatBufferTensor part = new FloatBufferTensor(1, rows);
            int from = rows / 3, n = Math.max(1, rows / 2);
            assertThat(Q4DecodeMatmul.tryRun(part, x, w, 0, cols, from, n)).isTrue();
            assertWithinBound(part, w, x, from, n);
            for (int j = 0; j < rows; j++) if (j < from || j >= from + n) assertThat(part.get(0, j)).as("row %d outside the chunk", j).isZero();
        } finally {
            Q4DecodeMatmul.release(List.of(w));
        }
    }

    @Test
    void agreesWithJlamasOwnKernelThroughTheProcessWideOperations() {
        Random r = new Random(11);
        int rows = 256, cols = 576;
        Q4ByteBufferTensor w = new Q4ByteBufferTensor(gaussian(r, rows, cols, 0.05));
        Q8ByteBufferTensor x = new Q8ByteBufferTensor(gaussian(r, 1, cols, 1.0));
        var ops = TensorOperationsProvider.get();
        FloatBufferTensor stock = new FloatBufferTensor(1, rows);
        ops.dotProductChunk(stock, x, w, 0, cols, 0, rows); // not adopted: Jlama's kernel
        assertThat(Q4DecodeMatmul.adopt(w)).isTrue();
        try {
            FloatBufferTensor ours = new FloatBufferTensor(1, rows);
            ops.dotProductChunk(ours, x, w, 0, cols, 0, rows); // adopted: routed to ours
            assertWithinBound(ours, w, x, 0, rows);
            for (int j = 0; j < rows; j++) assertThat(ours.get(0, j)).isCloseTo(stock.get(0, j), org.assertj.core.data.Offset.offset(1e-3f));
            // the batched form (Q, K, V; gate, up) takes all weights or none
            Q4ByteBufferTensor w2 = new Q4ByteBufferTensor(gaussian(r, rows, cols, 0.05));
            FloatBufferTensor[] outs = { new FloatBufferTensor(1, rows), new FloatBufferTensor(1, rows) };
            assertThat(Q4DecodeMatmul.tryRun(outs, x, new AbstractTensor[] { w, w2 }, 0, cols, 0, rows)).isFalse();
            assertThat(outs[0].get(0, 0)).isZero();
            assertThat(Q4DecodeMatmul.adopt(w2)).isTrue();
            assertThat(Q4DecodeMatmul.tryRun(outs, x, new AbstractTensor[] { w, w2 }, 0, cols, 0, rows)).isTrue();
            assertWithinBound(outs[0], w, x, 0, rows);
            assertWithinBound(outs[1], w2, x, 0, rows);
            Q4DecodeMatmul.release(List.of(w2));
        } finally {
            Q4DecodeMatmul.release(List.of(w));
        }
        FloatBufferTensor after = new FloatBufferTensor(1, rows);
        assertThat(Q4DecodeMatmul.tryRun(after, x, w, 0, cols, 0, rows)).as("released").isFalse();
    }

    @Test
    void leavesEveryOtherProductToJlama() {
        Random r = new Random(5);
        Q4ByteBufferTensor odd = new Q4ByteBufferTensor(gaussian(r, 8, 96, 0.05)); // 96 columns: not a multiple of 64
        assertThat(Q4DecodeMatmul.adopt(odd)).isFalse();
        assertThat(Q4DecodeMatmul.adopt(gaussian(r, 8, 128, 0.05))).as("float32 weights").isFalse();
        Q4ByteBufferTensor w = new Q4ByteBufferTensor(gaussian(r, 8, 128, 0.05));
        assertThat(Q4DecodeMatmul.adopt(w)).isTrue();
        try {
            FloatBufferTensor out = new FloatBufferTensor(1, 8);
            Q8ByteBufferTensor two = new Q8ByteBufferTensor(gaussian(r, 2, 128, 1.0));
            assertThat(Q4DecodeMatmul.tryRun(new FloatBufferTensor(2, 8), two, w, 0, 128, 0, 8)).as("prefill rows").isFalse();
            assertThat(Q4DecodeMatmul.tryRun(out, gaussian(r, 1, 128, 1.0), w, 0, 128, 0, 8)).as("float32 activations").isFalse();
            Q8ByteBufferTensor x = new Q8ByteBufferTensor(gaussian(r, 1, 128, 1.0));
            assertThat(Q4DecodeMatmul.tryRun(out, x, w, 64, 128, 0, 8)).as("a column range").isFalse();
            assertThat(Q4DecodeMatmul.tryRun(out, x, w, 0, 128, 4, 8)).as("rows past the weight").isFalse();
            assertThat(Q4DecodeMatmul.tryRun(new FloatBufferTensor(1, 4), x, w, 0, 128, 0, 8)).as("rows past the result").isFalse();
        } finally {
            Q4DecodeMatmul.release(List.of(w));
        }
    }
}

package dev.ffnskip.eval.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.NativeSimdTensorOperations;
import dev.ffnskip.jlama.ops.CorrectedTensorOperations;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The prefill path of the corrected operations (a batch split into a multiple of five rows and a tail of at most four,
 * on row views) against a float64 reference, for the single-weight call (attention, down projection) and the
 * two-weight call (gate and up projections) alike, with the split sizes the benchmark uses.
 */
class CorrectedOpsBatchTest {
    private static final int K = 256;

    @org.junit.jupiter.api.Test
    void rowViewsAreAvailable() throws ReflectiveOperationException {
        var field = CorrectedTensorOperations.class.getDeclaredField("MAKE_VIEW");
        field.setAccessible(true);
        assertThat(field.get(null)).as("Jlama's view constructor was found; otherwise the slower per-row fallback runs").isNotNull();
    }

    @ParameterizedTest(name = "{0} x {1}, {2} rows, split {3}")
    @CsvSource({ "I8,Q4,192,8", "I8,Q4,64,128", "F32,Q4,192,8", "F32,F32,64,8", "BF16,BF16,64,8", "F32,BF16,64,8" })
    void batchesOfOneToTwentyFourRows(DType activationType, DType weightType, int rows, int split) {
        String previous = System.getProperty("ffnskip.ops.splitSize");
        System.setProperty("ffnskip.ops.splitSize", Integer.toString(split));
        CorrectedTensorOperations ops;
        try {
            ops = new CorrectedTensorOperations(new NativeSimdTensorOperations(), true);
        } finally {
            if (previous == null) System.clearProperty("ffnskip.ops.splitSize");
            else System.setProperty("ffnskip.ops.splitSize", previous);
        }
        AbstractTensor w1 = random(weightType, rows, 11);
        AbstractTensor w2 = random(weightType, rows, 12);
        for (int batch = 1; batch <= 24; batch++) {
            AbstractTensor a = random(activationType, batch, 100 + batch);
            FloatBufferTensor single = new FloatBufferTensor(batch, rows);
            FloatBufferTensor r1 = new FloatBufferTensor(batch, rows);
            FloatBufferTensor r2 = new FloatBufferTensor(batch, rows);
            int chunk = Math.max(1, rows / split);
            for (int start = 0; start < rows; start += chunk) {
                int size = Math.min(chunk, rows - start);
                ops.dotProductChunk(single, a, w1, 0, K, start, size);
                ops.dotProductBatchChunk(new AbstractTensor[] { r1, r2 }, a, new AbstractTensor[] { w1, w2 }, 0, K, start, size);
            }
            assertThat(worst(single, a, w1, batch, rows)).as("single, batch %d", batch).isLessThan(1e-3);
            assertThat(worst(r1, a, w1, batch, rows)).as("batch call 1, batch %d", batch).isLessThan(1e-3);
            assertThat(worst(r2, a, w2, batch, rows)).as("batch call 2, batch %d", batch).isLessThan(1e-3);
        }
    }

    private static double worst(AbstractTensor r, AbstractTensor a, AbstractTensor w, int batch, int rows) {
        double worst = 0;
        for (int i = 0; i < batch; i++) {
            for (int j = 0; j < rows; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double) a.get(i, k) * w.get(j, k);
                worst = Math.max(worst, Math.abs(r.get(i, j) - s));
            }
        }
        return worst;
    }

    private static AbstractTensor random(DType type, int rows, long seed) {
        Random random = new Random(seed);
        FloatBufferTensor t = new FloatBufferTensor(rows, K);
        for (int i = 0; i < rows; i++) for (int j = 0; j < K; j++) t.set((float) random.nextGaussian(), i, j);
        return switch (type) {
            case F32 -> t;
            case BF16 -> new BFloat16BufferTensor(t);
            case Q4 -> new Q4ByteBufferTensor(t);
            case I8 -> new Q8ByteBufferTensor(t);
            default -> throw new IllegalArgumentException(type.name());
        };
    }
}

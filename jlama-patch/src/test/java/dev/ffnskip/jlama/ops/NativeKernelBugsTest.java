package dev.ffnskip.jlama.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.tjake.jlama.math.VectorMath;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.BFloat16BufferTensor;
import com.github.tjake.jlama.tensor.FloatBufferTensor;
import com.github.tjake.jlama.tensor.Q4ByteBufferTensor;
import com.github.tjake.jlama.tensor.Q8ByteBufferTensor;
import com.github.tjake.jlama.tensor.operations.NativeSimdTensorOperations;
import com.github.tjake.jlama.tensor.operations.TensorOperations;
import java.util.BitSet;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pins down the two Jlama 0.8.4 kernel bugs behind "native SIMD diverges on skipbench-28m / stories260K", and shows
 * that {@link CorrectedTensorOperations} computes every matmul shape the models use correctly.
 */
class NativeKernelBugsTest {
    static final int K = 256; // a multiple of 256, as Jlama requires for I8 x Q4
    private static TensorOperations rawNative;

    @BeforeAll
    static void setUp() {
        TensorOperationsGuard.ensureCorrect();
        rawNative = new NativeSimdTensorOperations();
    }

    @Test
    void nativeGemmMiscomputesTheTailRowsOfA13RowBatch() {
        AbstractTensor a = random(DType.F32, 13, K, 1);
        AbstractTensor b = random(DType.F32, 64, K, 2);
        FloatBufferTensor result = new FloatBufferTensor(13, 64);
        rawNative.batchDotProduct(result, a, b, 0, 0, K, 0, 0, 64);

        BitSet wrongRows = new BitSet();
        BitSet wrongColumnsMod8 = new BitSet();
        for (int i = 0; i < 13; i++) {
            for (int j = 0; j < 64; j++) {
                if (Math.abs(result.get(i, j) - dot(a, b, i, j)) > 1e-3) {
                    wrongRows.set(i);
                    wrongColumnsMod8.set(j % 8);
                }
            }
        }
        // Rows are tiled by five: rows 10-12 form the partial last tile, and half of each 8-column group is wrong.
        assertThat(wrongRows.toString()).isEqualTo("{10, 11, 12}");
        assertThat(wrongColumnsMod8.toString()).isEqualTo("{4, 5, 6, 7}");
    }

    @Test
    void pchunkNeverComputesTheLastRowsOfA192RowWeight() {
        assumeThat(rawNative.parallelSplitSize()).isEqualTo(128);
        assumeThat(com.github.tjake.jlama.tensor.operations.TensorOperationsProvider.get().parallelSplitSize()).isEqualTo(128);
        BitSet covered = new BitSet();
        VectorMath.pchunk(0, 192, (start, size) -> {
            synchronized (covered) {
                covered.set(start, start + size);
            }
        });
        assertThat(covered.cardinality()).isEqualTo(128);
        assertThat(CorrectedTensorOperations.pchunkCoverage(192, 128)).isEqualTo(128);
        assertThat(CorrectedTensorOperations.pchunkCoverage(384, 128)).isEqualTo(384);
    }

    static Stream<Arguments> shapes() {
        DType[][] types = { { DType.F32, DType.F32 }, { DType.BF16, DType.BF16 }, { DType.F32, DType.BF16 }, { DType.F32, DType.Q4 }, { DType.I8, DType.Q4 } };
        Stream.Builder<Arguments> out = Stream.builder();
        for (DType[] t : types) for (int rows : new int[] { 64, 192, 384 }) out.add(Arguments.of(t[0], t[1], rows));
        return out.build();
    }

    /** Every batch size from 1 to 24 (prefill) through the same pchunk path Jlama's layers use. */
    @ParameterizedTest(name = "{0} x {1}, {2} rows")
    @MethodSource("shapes")
    void correctedOperationsMatchFloat64Reference(DType activationType, DType weightType, int rows) {
        CorrectedTensorOperations corrected = new CorrectedTensorOperations(rawNative, true);
        AbstractTensor b = random(weightType, rows, K, 7);
        float[][] bValues = values(b, rows);
        for (int batch = 1; batch <= 24; batch++) {
            AbstractTensor a = random(activationType, batch, K, batch);
            float[][] aValues = values(a, batch);
            FloatBufferTensor result = new FloatBufferTensor(batch, rows);
            VectorMath.pchunk(0, rows, (start, size) -> corrected.dotProductChunk(result, a, b, 0, K, start, size));
            double worst = 0;
            for (int i = 0; i < batch; i++) {
                for (int j = 0; j < rows; j++) {
                    double s = 0;
                    for (int k = 0; k < K; k++) s += (double) aValues[i][k] * bValues[j][k];
                    worst = Math.max(worst, Math.abs(result.get(i, j) - s));
                }
            }
            // Inputs are unit normals, so a dot over 256 terms is about 16 in size; float32 error is ~1e-5.
            assertThat(worst).as("batch of %d rows", batch).isLessThan(1e-3);
        }
    }

    /** The (dequantized) values of a tensor, read once. */
    private static float[][] values(AbstractTensor t, int rows) {
        float[][] out = new float[rows][K];
        for (int i = 0; i < rows; i++) for (int k = 0; k < K; k++) out[i][k] = t.get(i, k);
        return out;
    }

    static double dot(AbstractTensor a, AbstractTensor b, int i, int j) {
        double s = 0;
        for (int k = 0; k < K; k++) s += (double) a.get(i, k) * b.get(j, k);
        return s;
    }

    static AbstractTensor random(DType type, int rows, int cols, long seed) {
        Random random = new Random(seed);
        FloatBufferTensor t = new FloatBufferTensor(rows, cols);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t.set((float) random.nextGaussian(), i, j);
        return switch (type) {
            case F32 -> t;
            case BF16 -> new BFloat16BufferTensor(t);
            case Q4 -> new Q4ByteBufferTensor(t);
            case I8 -> new Q8ByteBufferTensor(t);
            default -> throw new IllegalArgumentException(type.name());
        };
    }
}

package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.load.gguf.GgmlType;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link ColumnQ4Matrix}: recovering GGUF Q4_1 blocks from their float values, and nothing else. */
class ColumnQ4MatrixTest {

    /**
     * Row-major {@code [rows, cols]} weights that are real Q4_1 blocks, decoded by our GGUF reader: per block a random
     * float16 d and m and random nibbles that, as the reference quantizer writes them, include 0 and 15.
     */
    static float[] q4_1Weights(Random r, int rows, int cols, double scale) {
        int blocks = rows * cols / 32;
        byte[] raw = new byte[blocks * 20];
        for (int b = 0; b < blocks; b++) {
            float d = (float) (scale * (0.05 + Math.abs(r.nextGaussian())) / 8);
            float m = (float) (-7.5 * d * (0.8 + 0.4 * r.nextDouble()));
            short dh = Float.floatToFloat16(d), mh = Float.floatToFloat16(m);
            raw[b * 20] = (byte) dh;
            raw[b * 20 + 1] = (byte) (dh >>> 8);
            raw[b * 20 + 2] = (byte) mh;
            raw[b * 20 + 3] = (byte) (mh >>> 8);
            int zero = r.nextInt(32), full = (zero + 1 + r.nextInt(31)) % 32;
            for (int j = 0; j < 16; j++) {
                int lo = j == zero ? 0 : j == full ? 15 : r.nextInt(16);
                int hi = j + 16 == zero ? 0 : j + 16 == full ? 15 : r.nextInt(16);
                raw[b * 20 + 4 + j] = (byte) (lo | hi << 4);
            }
        }
        float[] w = new float[rows * cols];
        GgmlType.Q4_1.dequantize(raw, 0, blocks, w, 0);
        return w;
    }

    @Test
    void recoversQ4_1BlocksBitForBit() {
        Random r = new Random(1);
        for (int[] shape : new int[][] { { 1, 32 }, { 33, 64 }, { 100, 96 }, { 1536, 576 } }) {
            int rows = shape[0], cols = shape[1];
            float[] w = q4_1Weights(r, rows, cols, 0.1);
            ColumnQ4Matrix m = ColumnQ4Matrix.exactly(w, rows, cols).orElseThrow();
            assertThat(m.paddedRows() % 32).isZero();
            for (int i = 0; i < rows; i++) {
                for (int c = 0; c < cols; c++) {
                    assertThat(Float.floatToRawIntBits(m.dequantized(0, i, c))).as("[%d, %d]", i, c)
                            .isEqualTo(Float.floatToRawIntBits(w[i * cols + c]));
                }
            }
            assertThat(m.dequantizeRowMajor(0)).isEqualTo(w);
        }
    }

    @Test
    void interleavesGateAndUpBlockByBlock() {
        Random r = new Random(2);
        float[] gate = q4_1Weights(r, 70, 64, 0.1), up = q4_1Weights(r, 70, 64, 0.3);
        ColumnQ4Matrix m = ColumnQ4Matrix.exactlyInterleaved(gate, up, 70, 64).orElseThrow();
        assertThat(m.groups()).isEqualTo(2);
        assertThat(m.columnStride()).isEqualTo(2 * 96);
        assertThat(m.dequantizeRowMajor(0)).isEqualTo(gate);
        assertThat(m.dequantizeRowMajor(1)).isEqualTo(up);
        // the norms of a column cover both matrices
        double sum = 0;
        for (int i = 0; i < 70; i++) sum += (double) gate[i * 64 + 5] * gate[i * 64 + 5] + (double) up[i * 64 + 5] * up[i * 64 + 5];
        assertThat(m.columnNorms()[5]).isCloseTo((float) Math.sqrt(sum), org.assertj.core.data.Offset.offset(1e-5f));
    }

    @Test
    void refusesWeightsThatAreNotQ4_1Blocks() {
        Random r = new Random(3);
        float[] w = ChannelSparseQuantTest.gaussian(r, 64 * 64, 0.1);
        assertThat(ColumnQ4Matrix.exactly(w, 64, 64)).isEmpty();
        // one changed weight in otherwise exact blocks is enough to refuse
        float[] q = q4_1Weights(r, 64, 64, 0.1);
        assertThat(ColumnQ4Matrix.exactly(q, 64, 64)).isPresent();
        q[64 * 40 + 17] = Math.nextUp(q[64 * 40 + 17]);
        assertThat(ColumnQ4Matrix.exactly(q, 64, 64)).isEmpty();
        float[] up = q4_1Weights(r, 64, 64, 0.1);
        assertThat(ColumnQ4Matrix.exactlyInterleaved(up, q, 64, 64)).isEmpty();
    }

    @Test
    void quantizeIsTheQ4_1RuleWithinHalfAStep() {
        Random r = new Random(4);
        float[] w = ChannelSparseQuantTest.gaussian(r, 40 * 96, 0.1);
        ColumnQ4Matrix m = ColumnQ4Matrix.quantize(w, 40, 96);
        for (int i = 0; i < 40; i++) {
            for (int b = 0; b < 3; b++) {
                float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                for (int k = 0; k < 32; k++) {
                    min = Math.min(min, w[i * 96 + 32 * b + k]);
                    max = Math.max(max, w[i * 96 + 32 * b + k]);
                }
                float step = (max - min) / 15;
                for (int k = 0; k < 32; k++) {
                    int c = 32 * b + k;
                    assertThat(Math.abs(m.dequantized(0, i, c) - w[i * 96 + c])).isLessThanOrEqualTo(0.52f * step);
                }
            }
        }
    }

    @Test
    void rejectsShapesWithoutWholeBlocks() {
        assertThatThrownBy(() -> ColumnQ4Matrix.exactly(new float[10 * 40], 10, 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> ColumnQ4Matrix.quantize(new float[10], 10, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("need 320");
    }
}

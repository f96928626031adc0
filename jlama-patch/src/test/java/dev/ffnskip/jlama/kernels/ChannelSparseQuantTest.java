package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** {@link ColumnQ8Matrix}: column-wise Q8 quantization error bounds, layout, padding, interleaving. */
class ChannelSparseQuantTest {

    static float[] gaussian(Random r, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * sigma);
        return a;
    }

    @ParameterizedTest
    @CsvSource({ "1,1", "31,5", "32,32", "33,7", "100,64", "576,40", "1536,17", "257,300" })
    void quantizationAlongColumnsIsWithinHalfAScale(int rows, int cols) {
        Random r = new Random(rows * 31L + cols);
        float[] w = gaussian(r, rows * cols, 0.05);
        // a few outliers and an all-zero column
        w[0] = 3f;
        if (cols > 2) for (int i = 0; i < rows; i++) w[i * cols + 2] = 0f;
        ColumnQ8Matrix m = ColumnQ8Matrix.quantize(w, rows, cols);
        assertThat(m.rows()).isEqualTo(rows);
        assertThat(m.cols()).isEqualTo(cols);
        assertThat(m.paddedRows() % ColumnQ8Matrix.BLOCK).isZero();
        assertThat(m.paddedRows()).isBetween(rows, rows + ColumnQ8Matrix.BLOCK - 1);
        float[] back = m.dequantizeRowMajor();
        for (int c = 0; c < cols; c++) {
            for (int b = 0; b < m.paddedRows() / ColumnQ8Matrix.BLOCK; b++) {
                // the scale is the block's max |w| / 127, over the column's 32 rows (not a row's 32 columns)
                float amax = 0;
                for (int i = b * 32; i < Math.min(rows, b * 32 + 32); i++) amax = Math.max(amax, Math.abs(w[i * cols + c]));
                if (b * 32 < rows) assertThat(m.scale(0, b * 32, c)).isEqualTo(amax / 127f);
            }
            for (int i = 0; i < rows; i++) {
                float orig = w[i * cols + c];
                float scale = m.scale(0, i, c);
                float deq = m.get(i, c);
                assertThat(back[i * cols + c]).isEqualTo(deq);
                double bound = scale * 0.5 * (1 + 1e-6) + 2 * Math.ulp(Math.abs(orig));
                assertThat((double) Math.abs(deq - orig)).as("W[%d,%d]", i, c).isLessThanOrEqualTo(bound);
            }
        }
        if (cols > 2) for (int i = 0; i < rows; i++) assertThat(m.get(i, 2)).isZero();
        // padding rows are zero in storage; the block max is represented exactly (q = +-127)
        for (int c = 0; c < cols; c++) {
            for (int s = rows; s < m.paddedRows(); s++) assertThat(m.quants[c * m.columnStride() + s]).isZero();
        }
        assertThat(m.get(0, 0)).isEqualTo(127 * (3f / 127f));
        assertThat(m.byteSize()).isEqualTo((long) cols * m.paddedRows() * 9 / 8);
    }

    @Test
    void columnIsContiguous() {
        int rows = 70, cols = 3;
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) for (int c = 0; c < cols; c++) w[i * cols + c] = (c + 1) * (i % 2 == 0 ? 1f : -1f);
        ColumnQ8Matrix m = ColumnQ8Matrix.quantize(w, rows, cols);
        assertThat(m.columnStride()).isEqualTo(96);
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < rows; i++) assertThat(m.quants[c * 96 + i]).isEqualTo((byte) (i % 2 == 0 ? 127 : -127));
        }
    }

    @ParameterizedTest
    @CsvSource({ "1,3", "32,2", "45,9", "200,33" })
    void interleavedLayoutMatchesThePlainMatrices(int rows, int cols) {
        Random r = new Random(7 + rows);
        float[] a = gaussian(r, rows * cols, 1);
        float[] b = gaussian(r, rows * cols, 2);
        ColumnQ8Matrix qa = ColumnQ8Matrix.quantize(a, rows, cols);
        ColumnQ8Matrix qb = ColumnQ8Matrix.quantize(b, rows, cols);
        ColumnQ8Matrix il = ColumnQ8Matrix.interleave(qa, qb);
        ColumnQ8Matrix direct = ColumnQ8Matrix.quantizeInterleaved(a, b, rows, cols);
        assertThat(il.groups()).isEqualTo(2);
        assertThat(il.columnStride()).isEqualTo(2 * qa.paddedRows());
        assertThat(direct.quants).isEqualTo(il.quants);
        assertThat(direct.scales).isEqualTo(il.scales);
        for (int c = 0; c < cols; c++) {
            for (int i = 0; i < rows; i++) {
                assertThat(il.dequantized(0, i, c)).isEqualTo(qa.get(i, c));
                assertThat(il.dequantized(1, i, c)).isEqualTo(qb.get(i, c));
                // storage: block k of a at storage block 2k, of b at 2k + 1
                int k = i / 32;
                assertThat(il.quants[c * il.columnStride() + 2 * k * 32 + i % 32]).isEqualTo(qa.quants[c * qa.columnStride() + i]);
                assertThat(il.quants[c * il.columnStride() + (2 * k + 1) * 32 + i % 32]).isEqualTo(qb.quants[c * qb.columnStride() + i]);
            }
        }
        assertThatThrownBy(() -> il.get(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ColumnQ8Matrix.interleave(qa, ColumnQ8Matrix.quantize(a, rows * cols, 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsBadShapes() {
        assertThatThrownBy(() -> ColumnQ8Matrix.quantize(new float[3], 2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ColumnQ8Matrix.quantize(new float[3], 0, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}

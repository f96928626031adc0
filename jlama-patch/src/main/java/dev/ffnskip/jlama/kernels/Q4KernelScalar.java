package dev.ffnskip.jlama.kernels;

/**
 * {@link Q4Kernel} in plain Java, for species other than 256/512-bit: correct everywhere, not fast. The same float32
 * operations in the same order as the vector kernels (so the same bits).
 */
final class Q4KernelScalar extends Q4Kernel {

    @Override
    void silu(float[] gu, float[] act, int p0, int p1) {
        for (int p = p0; p < p1; p++) {
            for (int k = 0; k < BLOCK; k++) act[p * BLOCK + k] = Q8Kernel.siluMul(gu[p * 2 * BLOCK + k], gu[p * 2 * BLOCK + BLOCK + k]);
        }
    }

    @Override
    void columns8(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1) {
        columns(q, t, idx, val, k, k + 8, half, c0, c1);
    }

    @Override
    void columns4(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1) {
        columns(q, t, idx, val, k, k + 4, half, c0, c1);
    }

    private static void columns(byte[] q, float[] t, int[] idx, float[] val, int from, int to, int half, int c0, int c1) {
        for (int k = from; k < to; k++) {
            final int col = idx[k] * half;
            final float x = val[k];
            for (int s = c0; s < c1; s++) {
                int v = q[col + s / BLOCK * 16 + s % 16] & 0xFF;
                int nibble = s % BLOCK < 16 ? v & 0xF : v >>> 4;
                t[s - c0] = Math.fma((float) nibble, x, t[s - c0]);
            }
        }
    }

    @Override
    void flush(ColumnQ4Matrix m, int b, float sum, float[] t, float[] acc, int c0, int c1) {
        final int base = b * m.columnStride();
        for (int s = c0; s < c1; s++) acc[s] = Math.fma(m.scales[base + s], t[s - c0], Math.fma(m.mins[base + s], sum, acc[s]));
    }
}

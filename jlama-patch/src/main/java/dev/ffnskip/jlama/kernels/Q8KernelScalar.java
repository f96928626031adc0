package dev.ffnskip.jlama.kernels;

import java.util.Arrays;

/**
 * {@link Q8Kernel} in plain Java, for species other than 256/512-bit: correct everywhere, not fast. The same float32
 * operations in the same order as the vector kernels (so the same bits).
 */
final class Q8KernelScalar extends Q8Kernel {

    @Override
    int lanes() {
        return 1;
    }

    @Override
    void run(Work w, int t) {
        final int BLOCK = ColumnQ8Matrix.BLOCK;
        final int p0 = w.pairStart[t], p1 = w.pairStart[t + 1];
        final float[] gu = w.gu;
        Arrays.fill(gu, p0 * 2 * BLOCK, p1 * 2 * BLOCK, 0f);
        axpy(w.gateUp, w.inIdx, w.inVal, 0, padded(w.keptIn), 2 * p0, 2 * p1, gu);
        final float[] act = w.act;
        for (int p = p0; p < p1; p++) {
            final int in = p * 2 * BLOCK;
            final int out = p * BLOCK;
            for (int k = 0; k < BLOCK; k++) act[out + k] = siluMul(gu[in + k], gu[in + BLOCK + k]);
        }
        final int base = p0 * BLOCK;
        final int kept = gather(act, base, Math.min(p1 * BLOCK, w.inter), w.tMid, w.midScale, w.midIdx, w.midVal);
        w.midCount[t] = kept;
        final float[] part = w.downParts[t];
        Arrays.fill(part, 0f);
        axpy(w.down, w.midIdx, w.midVal, base, base + padded(kept), 0, part.length / BLOCK, part);
    }

    private static void axpy(ColumnQ8Matrix m, int[] idx, float[] vals, int from, int to, int blockFrom, int blockTo,
            float[] acc) {
        final byte[] q = m.quants;
        final float[] sc = m.scales;
        final int stride = m.columnStride();
        final int nb = m.blocksPerColumn();
        for (int k = from; k < to; k++) {
            final int j = idx[k];
            final float x = vals[k];
            for (int b = blockFrom; b < blockTo; b++) {
                final float f = x * sc[j * nb + b];
                final int r = b * ColumnQ8Matrix.BLOCK;
                final int base = j * stride + r;
                for (int i = 0; i < ColumnQ8Matrix.BLOCK; i++) acc[r + i] = Math.fma(q[base + i], f, acc[r + i]);
            }
        }
    }
}

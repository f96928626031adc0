package dev.ffnskip.jlama.kernels;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Q8Kernel} for 256-bit float vectors (8 lanes): a 32-row block is four vectors, each loaded from 8 int8. {@link #run} is the compilation root of all its vector code (see {@link Q8Kernel}: keep
 * it above 325 bytecodes and the vector calls at most three frames below it).
 */
final class Q8Kernel256 extends Q8Kernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int L = 8;

    @Override
    int lanes() {
        return L;
    }

    @Override
    void run(Work w, int t, int phase) {
        final int BLOCK = ColumnQ8Matrix.BLOCK;
        if (phase == 0) {
            // (b) g, u for this thread's block pairs: one pass over the kept columns of the interleaved matrix
            final int p0 = w.pairStart[t], p1 = w.pairStart[t + 1];
            final float[] gu = w.gu;
            Arrays.fill(gu, p0 * 2 * BLOCK, p1 * 2 * BLOCK, 0f);
            axpy(w.gateUp, w.inIdx, w.inVal, 0, w.keptIn, 2 * p0, 2 * p1, gu, 2 * w.chunkBlocks);
            // (c) a = silu(g) * u, g = gu[64p + k], u = gu[64p + 32 + k]; exp(-g) as Q8Kernel.exp, the same operations
            // in the same order, written out here so that it is compiled in this root
            final float[] act = w.act;
            for (int p = p0; p < p1; p++) {
                final int in = p * 2 * BLOCK;
                final int out = p * BLOCK;
                for (int v = 0; v < BLOCK; v += L) {
                    FloatVector g = FloatVector.fromArray(F, gu, in + v);
                    FloatVector u = FloatVector.fromArray(F, gu, in + BLOCK + v);
                    FloatVector x = g.neg().max(EXP_LO).min(EXP_HI);
                    FloatVector y = x.mul(LOG2E).add(ROUND_MAGIC);
                    FloatVector n = y.sub(ROUND_MAGIC);
                    FloatVector pow2 = y.reinterpretAsInts().sub(ROUND_MAGIC_BITS - 127)
                            .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                    FloatVector r = x.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
                    FloatVector e = r.mul(C7).add(C6).mul(r).add(C5).mul(r).add(C4).mul(r).add(C3).mul(r).add(C2)
                            .mul(r).add(1f).mul(r).add(1f).mul(pow2);
                    g.mul(u).div(e.add(1f)).intoArray(act, out + v);
                }
            }
            w.midCount[t] = gather(act, p0 * BLOCK, Math.min(p1 * BLOCK, w.inter), w.tMid, w.midIdx, w.midVal);
        } else {
            // (d) this thread's output rows, over the kept intermediate channels of every thread
            final int b0 = w.outStart[t], b1 = w.outStart[t + 1];
            Arrays.fill(w.outAcc, b0 * BLOCK, b1 * BLOCK, 0f);
            for (int k = 0; k < w.midCount.length; k++) {
                int from = w.pairStart[k] * BLOCK;
                axpy(w.down, w.midIdx, w.midVal, from, from + w.midCount[k], b0, b1, w.outAcc, w.chunkBlocks);
            }
            copyOut(w, b0, b1);
        }
    }

    /** 8 int8 at {@code q[off..off+8)} as floats. */
    private static FloatVector load(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Sparse column AXPY: for storage rows {@code s} in {@code [32 * blockFrom, 32 * blockTo)} of {@code m},
     * {@code acc[s] += vals[k] * Wq[s, idx[k]]} for k in {@code [from, to)}, in that order. The row range is walked
     * in chunks of {@code chunkBlocks} blocks; within a chunk, the columns go four at a time (one load and store of
     * the accumulator per four columns).
     */
    private static void axpy(ColumnQ8Matrix m, int[] idx, float[] vals, int from, int to, int blockFrom, int blockTo,
            float[] acc, int chunkBlocks) {
        final byte[] q = m.quants;
        final float[] sc = m.scales;
        final int stride = m.columnStride();
        final int nb = m.blocksPerColumn();
        for (int c0 = blockFrom; c0 < blockTo; c0 += chunkBlocks) {
            final int c1 = Math.min(blockTo, c0 + chunkBlocks);
            int k = from;
            for (; k + 4 <= to; k += 4) {
                group4(q, sc, acc, idx[k] * stride, idx[k + 1] * stride, idx[k + 2] * stride, idx[k + 3] * stride,
                        idx[k] * nb, idx[k + 1] * nb, idx[k + 2] * nb, idx[k + 3] * nb,
                        vals[k], vals[k + 1], vals[k + 2], vals[k + 3], c0, c1);
            }
            for (; k < to; k++) group1(q, sc, acc, idx[k] * stride, idx[k] * nb, vals[k], c0, c1);
        }
    }

    /** acc[block rows] += x_k * scale * q over four columns (quant offsets q0..q3, scale offsets s0..s3). */
    private static void group4(byte[] q, float[] sc, float[] acc, int q0, int q1, int q2, int q3, int s0, int s1,
            int s2, int s3, float x0, float x1, float x2, float x3, int blockFrom, int blockTo) {
        for (int b = blockFrom; b < blockTo; b++) {
            final int r = b * ColumnQ8Matrix.BLOCK;
            final FloatVector f0 = FloatVector.broadcast(F, x0 * sc[s0 + b]);
            final FloatVector f1 = FloatVector.broadcast(F, x1 * sc[s1 + b]);
            final FloatVector f2 = FloatVector.broadcast(F, x2 * sc[s2 + b]);
            final FloatVector f3 = FloatVector.broadcast(F, x3 * sc[s3 + b]);
            for (int v = 0; v < ColumnQ8Matrix.BLOCK; v += L) {
                FloatVector a = FloatVector.fromArray(F, acc, r + v);
                a = load(q, q0 + r + v).fma(f0, a);
                a = load(q, q1 + r + v).fma(f1, a);
                a = load(q, q2 + r + v).fma(f2, a);
                a = load(q, q3 + r + v).fma(f3, a);
                a.intoArray(acc, r + v);
            }
        }
    }

    /** One column: acc[block rows] += x0 * scale * q. */
    private static void group1(byte[] q, float[] sc, float[] acc, int q0, int s0, float x0, int blockFrom,
            int blockTo) {
        for (int b = blockFrom; b < blockTo; b++) {
            final int r = b * ColumnQ8Matrix.BLOCK;
            final FloatVector f0 = FloatVector.broadcast(F, x0 * sc[s0 + b]);
            for (int v = 0; v < ColumnQ8Matrix.BLOCK; v += L) {
                load(q, q0 + r + v).fma(f0, FloatVector.fromArray(F, acc, r + v)).intoArray(acc, r + v);
            }
        }
    }
}

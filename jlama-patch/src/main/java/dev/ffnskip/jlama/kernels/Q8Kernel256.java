package dev.ffnskip.jlama.kernels;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Q8Kernel} for 256-bit float vectors (8 lanes): a 32-row block is four vectors, each loaded from 8 int8. Vector code lives in two compilation roots only, {@link #run} (SiLU) and
 * {@link #group8} (the weight loop), both above 325 bytecodes so that C2 never inlines them (see {@link Q8Kernel}).
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
    void run(Work w, int t) {
        final int BLOCK = ColumnQ8Matrix.BLOCK;
        // (b) g, u for this thread's block pairs: one pass over the kept columns of the interleaved matrix
        final int p0 = w.pairStart[t], p1 = w.pairStart[t + 1];
        final float[] gu = w.gu;
        Arrays.fill(gu, p0 * 2 * BLOCK, p1 * 2 * BLOCK, 0f);
        axpy(w.gateUp, w.inIdx, w.inVal, 0, padded(w.keptIn), 2 * p0, 2 * p1, gu, 2 * w.chunkBlocks);
        // (c) a = silu(g) * u
        siluPairs(gu, w.act, p0, p1);
        // gather this thread's kept intermediate channels (list padded to a multiple of GROUP)
        final int base = p0 * BLOCK;
        final int kept = gather(w.act, base, Math.min(p1 * BLOCK, w.inter), w.tMid, w.midScale, w.midIdx, w.midVal);
        w.midCount[t] = kept;
        // (d) this thread's partial output: whole columns of down for its own kept channels
        final float[] part = w.downParts[t];
        Arrays.fill(part, 0f);
        axpy(w.down, w.midIdx, w.midVal, base, base + padded(kept), 0, part.length / BLOCK, part, w.chunkBlocks);
    }

    /**
     * {@code act[32p + k] = silu(g) * u} with {@code g = gu[64p + k]}, {@code u = gu[64p + 32 + k]} for the block pairs
     * {@code [p0, p1)}; exp(-g) as {@link Q8Kernel#exp}, the same operations in the same order. Shared by the Q4 kernel.
     */
    static void siluPairs(float[] gu, float[] act, int p0, int p1) {
        final int BLOCK = ColumnQ8Matrix.BLOCK;
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
    }

    /** 8 int8 at {@code q[off..off+8)} as floats. */
    private static FloatVector load(byte[] q, int off) {
        return (FloatVector) ByteVector.fromArray(B, q, off).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * Sparse column AXPY: for storage rows {@code s} in {@code [32 * blockFrom, 32 * blockTo)} of {@code m},
     * {@code acc[s] += vals[k] * Wq[s, idx[k]]} for k in {@code [from, to)}, in that order; {@code to - from} is a
     * multiple of {@link Q8Kernel#GROUP} (lists are padded with zero-valued entries, which add exactly nothing). The
     * row range is walked in chunks of {@code chunkBlocks} blocks; within a chunk, eight columns per pass over the
     * accumulator.
     */
    private static void axpy(ColumnQ8Matrix m, int[] idx, float[] vals, int from, int to, int blockFrom, int blockTo,
            float[] acc, int chunkBlocks) {
        final byte[] q = m.quants;
        final float[] sc = m.scales;
        final int stride = m.columnStride();
        final int nb = m.blocksPerColumn();
        for (int c0 = blockFrom; c0 < blockTo; c0 += chunkBlocks) {
            final int c1 = Math.min(blockTo, c0 + chunkBlocks);
            for (int k = from; k < to; k += GROUP) group8(q, sc, acc, idx, vals, k, stride, nb, c0, c1);
        }
    }

    /**
     * acc[block rows] += x_k * scale * q over the eight columns idx[k..k+8): one load and store of the accumulator per
     * eight columns, and eight column streams in flight (measured ~25% faster than four on Llama-3.2-1B's shape).
     * The only method that loads weights; its bytecode (> 325 bytes) keeps it a compilation root of its own.
     */
    private static void group8(byte[] q, float[] sc, float[] acc, int[] idx, float[] vals, int k, int stride, int nb,
            int blockFrom, int blockTo) {
        final int q0 = idx[k] * stride, q1 = idx[k + 1] * stride, q2 = idx[k + 2] * stride, q3 = idx[k + 3] * stride;
        final int q4 = idx[k + 4] * stride, q5 = idx[k + 5] * stride, q6 = idx[k + 6] * stride, q7 = idx[k + 7] * stride;
        final int s0 = idx[k] * nb, s1 = idx[k + 1] * nb, s2 = idx[k + 2] * nb, s3 = idx[k + 3] * nb;
        final int s4 = idx[k + 4] * nb, s5 = idx[k + 5] * nb, s6 = idx[k + 6] * nb, s7 = idx[k + 7] * nb;
        final float x0 = vals[k], x1 = vals[k + 1], x2 = vals[k + 2], x3 = vals[k + 3];
        final float x4 = vals[k + 4], x5 = vals[k + 5], x6 = vals[k + 6], x7 = vals[k + 7];
        for (int b = blockFrom; b < blockTo; b++) {
            final int r = b * ColumnQ8Matrix.BLOCK;
            final FloatVector f0 = FloatVector.broadcast(F, x0 * sc[s0 + b]);
            final FloatVector f1 = FloatVector.broadcast(F, x1 * sc[s1 + b]);
            final FloatVector f2 = FloatVector.broadcast(F, x2 * sc[s2 + b]);
            final FloatVector f3 = FloatVector.broadcast(F, x3 * sc[s3 + b]);
            final FloatVector f4 = FloatVector.broadcast(F, x4 * sc[s4 + b]);
            final FloatVector f5 = FloatVector.broadcast(F, x5 * sc[s5 + b]);
            final FloatVector f6 = FloatVector.broadcast(F, x6 * sc[s6 + b]);
            final FloatVector f7 = FloatVector.broadcast(F, x7 * sc[s7 + b]);
            for (int v = 0; v < ColumnQ8Matrix.BLOCK; v += L) {
                FloatVector a = FloatVector.fromArray(F, acc, r + v);
                a = load(q, q0 + r + v).fma(f0, a);
                a = load(q, q1 + r + v).fma(f1, a);
                a = load(q, q2 + r + v).fma(f2, a);
                a = load(q, q3 + r + v).fma(f3, a);
                a = load(q, q4 + r + v).fma(f4, a);
                a = load(q, q5 + r + v).fma(f5, a);
                a = load(q, q6 + r + v).fma(f6, a);
                a = load(q, q7 + r + v).fma(f7, a);
                a.intoArray(acc, r + v);
            }
        }
    }
}

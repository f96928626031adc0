package dev.ffnskip.jlama.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-thread phases of {@link ChannelSparseFfn} on {@link ColumnQ4Matrix} weights: the same plan as
 * {@link Q8Kernel} (gate/up for the thread's intermediate channels, SiLU, gather, the thread's partial down product),
 * with the sums split by Q4_1 input block. For input block {@code b}, {@code t = sum of x_j q_j} over its kept
 * channels (eight, then four columns per pass over {@code t}), then {@code acc = d_b t + (m_b S_b + acc)}, {@code S_b}
 * the sum of those {@code x_j}. A block with no kept channel adds nothing and is not read at all.
 *
 * <p>Kept lists live in fixed slots: the kept channels of input block {@code b} are at {@code [32b, 32b + n_b)} of the
 * index and value arrays, padded to a multiple of four with zero-valued entries (which add exactly nothing: a sum
 * starts at +0 and never becomes -0). The vector code sits in big methods for the reasons {@link Q8Kernel} gives.
 * Every kernel performs the same float32 operations in the same order, so they agree bit for bit.
 */
abstract class Q4Kernel {
    static final int BLOCK = ColumnQ4Matrix.BLOCK;

    /** The kernel for {@code species}: 512- and 256-bit are vectorised, anything else runs the scalar kernel. */
    static Q4Kernel forSpecies(VectorSpecies<Float> species) {
        if (species == FloatVector.SPECIES_512) return new Q4Kernel512();
        if (species == FloatVector.SPECIES_256) return new Q4Kernel256();
        return new Q4KernelScalar();
    }

    /**
     * Thread {@code t}'s work of one forward call (see {@link Q8Kernel#run}): gate/up for its intermediate blocks,
     * SiLU, the gather of its kept intermediate channels, its partial down product. The loops over blocks are scalar;
     * the per-row work is the subclass's ({@link #columns8}, {@link #columns4}, {@link #flush}, {@link #silu}).
     */
    final void run(Work w, int t) {
        final int p0 = w.pairStart[t], p1 = w.pairStart[t + 1];
        final float[] gu = w.gu;
        final float[] sums = w.blockSums[t];
        Arrays.fill(gu, p0 * 2 * BLOCK, p1 * 2 * BLOCK, 0f);
        accumulate(w.gateUp, w.inIdx, w.inVal, w.inCount, w.inSum, 0, w.hidden / BLOCK, p0 * 2 * BLOCK, p1 * 2 * BLOCK,
                gu, sums, w.chunkRows);
        silu(gu, w.act, p0, p1);
        int kept = 0;
        for (int p = p0; p < p1; p++) {
            kept += w.midCount[p] = gatherBlock(w.act, p * BLOCK, w.tMid, w.midScale, w.midIdx, w.midVal, w.midSum);
        }
        w.midKept[t] = kept;
        final float[] part = w.downParts[t];
        Arrays.fill(part, 0f);
        accumulate(w.down, w.midIdx, w.midVal, w.midCount, w.midSum, p0, p1, 0, part.length, part, sums, w.chunkRows);
    }

    /**
     * For storage rows {@code s} in {@code [rowFrom, rowTo)} (whole 32-row blocks), chunk by chunk: for every input
     * block {@code b} in {@code [blockFrom, blockTo)} with kept channels, {@code t[s] = sum of x_k q(idx_k, s)} over its
     * slot (eight, then four columns at a time), then {@code acc[s] = d t[s] + (m S_b + acc[s])}.
     */
    private void accumulate(ColumnQ4Matrix m, int[] idx, float[] val, int[] count, float[] sums, int blockFrom,
            int blockTo, int rowFrom, int rowTo, float[] acc, float[] t, int chunkRows) {
        final int half = m.columnStride() / 2;
        for (int c0 = rowFrom; c0 < rowTo; c0 += chunkRows) {
            final int c1 = Math.min(rowTo, c0 + chunkRows);
            for (int b = blockFrom; b < blockTo; b++) {
                final int n = padded(count[b]);
                if (n == 0) continue;
                Arrays.fill(t, 0, c1 - c0, 0f);
                int k = b * BLOCK;
                final int end = k + n;
                for (; k + 8 <= end; k += 8) columns8(m.nibbles, t, idx, val, k, half, c0, c1);
                if (k < end) columns4(m.nibbles, t, idx, val, k, half, c0, c1);
                flush(m, b, sums[b], t, acc, c0, c1);
            }
        }
    }

    /**
     * {@code t[s - c0] += x_k q(idx_k, s)} for storage rows {@code [c0, c1)} over the eight columns
     * {@code idx[k..k + 8)}, in column order for every row; column {@code j}'s nibbles start at {@code j * half}.
     */
    abstract void columns8(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1);

    /** {@link #columns8} for the four columns {@code idx[k..k + 4)} (a block's tail). */
    abstract void columns4(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1);

    /** {@code acc[s] = d[b, s] t[s - c0] + (m[b, s] sum + acc[s])} for storage rows {@code [c0, c1)}. */
    abstract void flush(ColumnQ4Matrix m, int b, float sum, float[] t, float[] acc, int c0, int c1);

    /** {@code act[32p + k] = silu(gu[64p + k]) * gu[64p + 32 + k]} for the blocks {@code [p0, p1)}, as {@link Q8Kernel#siluMul}. */
    abstract void silu(float[] gu, float[] act, int p0, int p1);

    /**
     * Gathers the channels {@code i} in block {@code [from, from + 32)} with {@code |a_i| >= threshold} (with {@code
     * scale}: {@code |a_i| scale_i >= threshold}) into the block's slot of {@code idx/val} (branch-free), pads them to a
     * multiple of four, stores their sum in {@code sums[from / 32]} and returns how many were kept (unpadded).
     */
    static int gatherBlock(float[] a, int from, float threshold, float[] scale, int[] idx, float[] val, float[] sums) {
        final int n = Q8Kernel.select(a, from, from + BLOCK, threshold, scale, idx, val);
        float sum = 0f;
        for (int k = from; k < n; k++) sum += val[k];
        sums[from / BLOCK] = sum;
        final int kept = n - from;
        for (int k = n, end = from + padded(kept); k < end; k++) {
            idx[k] = from;
            val[k] = 0f;
        }
        return kept;
    }

    /** {@code n} rounded up to a multiple of four (a block's padded list length). */
    static int padded(int n) {
        return (n + 3) & -4;
    }

    /** The scratch and per-call state of one Q4 {@link ChannelSparseFfn}. */
    static final class Work {
        final ColumnQ4Matrix gateUp;
        final ColumnQ4Matrix down;
        final int hidden;
        final int inter;
        final int chunkRows;
        /** Thread t owns intermediate blocks [pairStart[t], pairStart[t + 1]) (gate/up storage block pairs). */
        final int[] pairStart;
        /** Kept inputs by input block slot, their unpadded counts and sums. */
        final int[] inIdx;
        final float[] inVal;
        final int[] inCount;
        final float[] inSum;
        /** Interleaved gate/up accumulator, by storage row. */
        final float[] gu;
        /** a = silu(g) * u by intermediate channel. */
        final float[] act;
        /** Kept intermediate channels by block slot (block p = down's input block p), counts and sums. */
        final int[] midIdx;
        final float[] midVal;
        final int[] midCount;
        final float[] midSum;
        /** Per thread: kept intermediate channels in total, its partial down product, its block sum scratch. */
        final int[] midKept;
        final float[][] downParts;
        final float[][] blockSums;
        // per call
        float tMid;
        float[] midScale;

        Work(ColumnQ4Matrix gateUp, ColumnQ4Matrix down, int threads, int chunkRows) {
            this.gateUp = gateUp;
            this.down = down;
            this.hidden = gateUp.cols();
            this.inter = gateUp.rows();
            this.chunkRows = chunkRows;
            int interBlocks = inter / BLOCK;
            this.pairStart = new int[threads + 1];
            for (int t = 0; t <= threads; t++) pairStart[t] = (int) ((long) interBlocks * t / threads);
            this.inIdx = new int[hidden];
            this.inVal = new float[hidden];
            this.inCount = new int[hidden / BLOCK];
            this.inSum = new float[hidden / BLOCK];
            this.gu = new float[gateUp.columnStride()];
            this.act = new float[inter];
            this.midIdx = new int[inter];
            this.midVal = new float[inter];
            this.midCount = new int[interBlocks];
            this.midSum = new float[interBlocks];
            this.midKept = new int[threads];
            this.downParts = new float[threads][down.paddedRows()];
            int longest = Math.max(gateUp.columnStride(), down.paddedRows());
            this.blockSums = new float[threads][Math.min(longest, chunkRows)];
        }
    }
}

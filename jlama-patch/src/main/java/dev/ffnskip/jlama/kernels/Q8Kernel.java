package dev.ffnskip.jlama.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-thread phases of {@link ChannelSparseFfn}, one implementation per float vector width.
 *
 * <h2>Why the vector code sits in big methods of each kernel class</h2>
 *
 * Vector API code is fast only if C2 intrinsifies every vector operation; otherwise it silently falls back to Java
 * code that allocates a box per vector (~10x slower). Intrinsification needs (1) a constant species, which is why each
 * kernel class keeps its species in {@code static final} fields, and (2) every Vector API call chain (4-5 frames
 * deep) to be inlined within C2's {@code MaxInlineLevel} (15) from the compilation root. If the vector loops were
 * inlined into a deep caller, e.g. a polymorphic call site that sees both the 512- and the 256-bit kernel, the chain
 * runs out of depth and the boxed fallback is compiled in; C2 also stops intrinsifying once one compilation unit has
 * grown too large (its live-node cutoff). So every method with vector code is kept above C2's {@code FreqInlineSize}
 * (325 bytecodes), which makes C2 compile it as a root of its own and never inline it into a caller: {@link #run}
 * (SiLU; everything else it calls is scalar) and {@code group8} (the weight loop). Both failure modes were observed
 * (mixing kernels in one JVM; inlining the weight loop into {@link #run}) and are silent except for allocation and
 * speed. (The allocation test exercises both kernels in one JVM.)
 */
abstract class Q8Kernel {

    /** The kernel for {@code species}: 512- and 256-bit are vectorised, anything else runs the scalar kernel. */
    static Q8Kernel forSpecies(VectorSpecies<Float> species) {
        if (species == FloatVector.SPECIES_512) return new Q8Kernel512();
        if (species == FloatVector.SPECIES_256) return new Q8Kernel256();
        return new Q8KernelScalar();
    }

    /**
     * Columns per pass over the accumulator. Kept-channel lists are padded to a multiple of it with entries
     * {@code (column 0, value 0)}: {@code acc + 0 * q} is exactly {@code acc} (an accumulator starts at +0 and can never
     * become -0), so padding changes no bit and the kernels need no tail loops.
     */
    static final int GROUP = 8;

    /** {@code n} rounded up to a multiple of {@link #GROUP}. */
    static int padded(int n) {
        return (n + GROUP - 1) & -GROUP;
    }

    /** Fills {@code idx/val[from + n, from + padded(n))} with zero-valued entries. */
    static void pad(int[] idx, float[] val, int from, int n) {
        for (int k = from + n, end = from + padded(n); k < end; k++) {
            idx[k] = 0;
            val[k] = 0f;
        }
    }

    /** Float lanes per vector (1 for the scalar kernel). */
    abstract int lanes();

    /**
     * One forward call's work on team thread {@code t}, for its block pairs {@code [pairStart[t], pairStart[t + 1])}
     * of the intermediate channels: {@code gu = sum over kept j of x_j * GU[:, j]} over those rows, then
     * {@code act = silu(g) * u} for them, the gather of their kept channels into {@code midIdx/midVal} from offset
     * {@code 32 * pairStart[t]} (count in {@code midCount[t]}, list padded), and finally the thread's partial output
     * {@code downParts[t] = sum over those kept i of a_i * D[:, i]} (whole columns of down). The caller adds the
     * partials in thread order.
     *
     * Accumulation into each output is a sequence of float32 fused multiply-adds in kept-column order, in every kernel.
     */
    abstract void run(Work w, int t);

    /** The scratch and per-call state of one {@link ChannelSparseFfn}. */
    static final class Work {
        final ColumnQ8Matrix gateUp;
        final ColumnQ8Matrix down;
        final int hidden;
        final int inter;
        final int chunkBlocks;
        /** Thread t owns the gate/up block pairs [pairStart[t], pairStart[t + 1]) (intermediate channels x32). */
        final int[] pairStart;
        /** Kept input channels and their values, {@code keptIn} of them, padded to a multiple of {@link #GROUP}. */
        final int[] inIdx;
        final float[] inVal;
        /** Interleaved gate/up accumulator, by storage row of {@link #gateUp}. */
        final float[] gu;
        /** a = silu(g) * u by intermediate channel (padded). */
        final float[] act;
        /** Thread t writes its kept intermediate channels from offset 32 * pairStart[t]. */
        final int[] midIdx;
        final float[] midVal;
        final int[] midCount;
        /** Per thread: its partial down product over its own kept channels, padded hidden. */
        final float[][] downParts;
        // per call
        int keptIn;
        float tMid;
        /** Null, or what each |a_i| is multiplied by before the compare with {@link #tMid} (weighted criterion). */
        float[] midScale;

        Work(ColumnQ8Matrix gateUp, ColumnQ8Matrix down, int threads, int chunkBlocks) {
            this.gateUp = gateUp;
            this.down = down;
            this.hidden = gateUp.cols();
            this.inter = gateUp.rows();
            this.chunkBlocks = chunkBlocks;
            this.pairStart = split(gateUp.paddedRows() / ColumnQ8Matrix.BLOCK, threads);
            this.inIdx = new int[padded(hidden)];
            this.inVal = new float[padded(hidden)];
            this.gu = new float[gateUp.columnStride()];
            this.act = new float[gateUp.paddedRows()];
            this.midIdx = new int[gateUp.paddedRows()];
            this.midVal = new float[gateUp.paddedRows()];
            this.midCount = new int[threads];
            this.downParts = new float[threads][down.paddedRows()];
        }

        /** Splits {@code units} into {@code parts} near-equal ranges: boundaries [0, ..., units]. */
        private static int[] split(int units, int parts) {
            int[] b = new int[parts + 1];
            for (int t = 0; t <= parts; t++) b[t] = (int) ((long) units * t / parts);
            return b;
        }
    }

    /**
     * Gathers the channels {@code i} in {@code [from, to)} with {@code |a_i| >= threshold} (with {@code scale}:
     * {@code |a_i| scale_i >= threshold}) into {@code idx/val} from offset {@code from} (branch-free), pads the list
     * to a multiple of {@link #GROUP} and returns how many were kept (unpadded). The arrays must have room for
     * {@code padded(to - from)} entries from {@code from}.
     */
    static int gather(float[] a, int from, int to, float threshold, float[] scale, int[] idx, float[] val) {
        int n = select(a, from, to, threshold, scale, idx, val) - from;
        pad(idx, val, from, n);
        return n;
    }

    /**
     * Writes the channels of {@code [from, to)} that pass the threshold (as {@link #gather}) to {@code idx/val} from
     * offset {@code from}, branch-free, and returns the offset after the last one; no padding.
     */
    static int select(float[] a, int from, int to, float threshold, float[] scale, int[] idx, float[] val) {
        int n = from;
        if (scale == null) {
            for (int i = from; i < to; i++) {
                float v = a[i];
                idx[n] = i;
                val[n] = v;
                n += Math.abs(v) >= threshold ? 1 : 0;
            }
        } else {
            for (int i = from; i < to; i++) {
                float v = a[i];
                idx[n] = i;
                val[n] = v;
                n += Math.abs(v) * scale[i] >= threshold ? 1 : 0;
            }
        }
        return n;
    }

    // exp(x) = 2^n * e^r, n = round(x / ln 2), |r| <= ln(2) / 2, e^r by its degree-7 Taylor polynomial (truncation
    // error < r^8 / 8! = 5e-9, below float32 rounding). Only +, *, compare and bit moves: the vector kernels do the same
    // operations in the same order, so every kernel (and the interpreter, C1 and C2) gives bit-identical results.
    static final float EXP_LO = -87f;
    static final float EXP_HI = 88f;
    static final float LOG2E = 1.44269504f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude < 2^22 to an integer, kept in the low mantissa bits. */
    static final float ROUND_MAGIC = 12582912f;
    static final int ROUND_MAGIC_BITS = 0x4B400000;
    static final float LN2_HI = 0.693145751953125f; // ln 2 split in two: n * LN2_HI is exact for |n| <= 2^8
    static final float LN2_LO = 1.42860677e-6f;
    static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /** exp(x) in float32, relative error below 1.5e-7 for x in [-87, 88] (clamped outside). */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float y = x * LOG2E + ROUND_MAGIC;
        float n = y - ROUND_MAGIC;
        float pow2 = Float.intBitsToFloat((Float.floatToRawIntBits(y) - (ROUND_MAGIC_BITS - 127)) << 23);
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = ((((((r * C7 + C6) * r + C5) * r + C4) * r + C3) * r + C2) * r + 1f) * r + 1f;
        return p * pow2;
    }

    /** SiLU(g) * u = g * u / (1 + exp(-g)) in float32, exactly as the vector kernels compute it. */
    static float siluMul(float g, float u) {
        return g * u / (exp(-g) + 1f);
    }
}

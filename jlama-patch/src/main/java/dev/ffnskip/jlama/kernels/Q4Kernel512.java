package dev.ffnskip.jlama.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Q4Kernel} for 512-bit float vectors (16 lanes): a 32-row storage block of one column is 16 bytes, one load,
 * whose low nibbles are rows 0-15 and high nibbles rows 16-31. Vector code lives in compilation roots of their own
 * (the SiLU of the Q8 kernel, {@link #columns8}, {@link #columns4}; see {@link Q8Kernel} for why).
 */
final class Q4Kernel512 extends Q4Kernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int L = 16;

    @Override
    void silu(float[] gu, float[] act, int p0, int p1) {
        Q8Kernel512.siluPairs(gu, act, p0, p1);
    }

    private static FloatVector low(ByteVector v) {
        return (FloatVector) v.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
    }

    private static FloatVector high(ByteVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
    }

    @Override
    void columns8(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1) {
        final int o0 = idx[k] * half, o1 = idx[k + 1] * half, o2 = idx[k + 2] * half, o3 = idx[k + 3] * half;
        final int o4 = idx[k + 4] * half, o5 = idx[k + 5] * half, o6 = idx[k + 6] * half, o7 = idx[k + 7] * half;
        final FloatVector x0 = FloatVector.broadcast(F, val[k]), x1 = FloatVector.broadcast(F, val[k + 1]);
        final FloatVector x2 = FloatVector.broadcast(F, val[k + 2]), x3 = FloatVector.broadcast(F, val[k + 3]);
        final FloatVector x4 = FloatVector.broadcast(F, val[k + 4]), x5 = FloatVector.broadcast(F, val[k + 5]);
        final FloatVector x6 = FloatVector.broadcast(F, val[k + 6]), x7 = FloatVector.broadcast(F, val[k + 7]);
        for (int s = c0; s < c1; s += BLOCK) {
            final int r = s - c0;
            final int off = s / 2;
            FloatVector lo = FloatVector.fromArray(F, t, r);
            FloatVector hi = FloatVector.fromArray(F, t, r + L);
            ByteVector v;
            v = ByteVector.fromArray(B, q, o0 + off);
            lo = low(v).fma(x0, lo);
            hi = high(v).fma(x0, hi);
            v = ByteVector.fromArray(B, q, o1 + off);
            lo = low(v).fma(x1, lo);
            hi = high(v).fma(x1, hi);
            v = ByteVector.fromArray(B, q, o2 + off);
            lo = low(v).fma(x2, lo);
            hi = high(v).fma(x2, hi);
            v = ByteVector.fromArray(B, q, o3 + off);
            lo = low(v).fma(x3, lo);
            hi = high(v).fma(x3, hi);
            v = ByteVector.fromArray(B, q, o4 + off);
            lo = low(v).fma(x4, lo);
            hi = high(v).fma(x4, hi);
            v = ByteVector.fromArray(B, q, o5 + off);
            lo = low(v).fma(x5, lo);
            hi = high(v).fma(x5, hi);
            v = ByteVector.fromArray(B, q, o6 + off);
            lo = low(v).fma(x6, lo);
            hi = high(v).fma(x6, hi);
            v = ByteVector.fromArray(B, q, o7 + off);
            lo = low(v).fma(x7, lo);
            hi = high(v).fma(x7, hi);
            lo.intoArray(t, r);
            hi.intoArray(t, r + L);
        }
    }

    @Override
    void columns4(byte[] q, float[] t, int[] idx, float[] val, int k, int half, int c0, int c1) {
        final int o0 = idx[k] * half, o1 = idx[k + 1] * half, o2 = idx[k + 2] * half, o3 = idx[k + 3] * half;
        final FloatVector x0 = FloatVector.broadcast(F, val[k]), x1 = FloatVector.broadcast(F, val[k + 1]);
        final FloatVector x2 = FloatVector.broadcast(F, val[k + 2]), x3 = FloatVector.broadcast(F, val[k + 3]);
        for (int s = c0; s < c1; s += BLOCK) {
            final int r = s - c0;
            final int off = s / 2;
            FloatVector lo = FloatVector.fromArray(F, t, r);
            FloatVector hi = FloatVector.fromArray(F, t, r + L);
            ByteVector v;
            v = ByteVector.fromArray(B, q, o0 + off);
            lo = low(v).fma(x0, lo);
            hi = high(v).fma(x0, hi);
            v = ByteVector.fromArray(B, q, o1 + off);
            lo = low(v).fma(x1, lo);
            hi = high(v).fma(x1, hi);
            v = ByteVector.fromArray(B, q, o2 + off);
            lo = low(v).fma(x2, lo);
            hi = high(v).fma(x2, hi);
            v = ByteVector.fromArray(B, q, o3 + off);
            lo = low(v).fma(x3, lo);
            hi = high(v).fma(x3, hi);
            lo.intoArray(t, r);
            hi.intoArray(t, r + L);
        }
    }

    @Override
    void flush(ColumnQ4Matrix m, int b, float sum, float[] t, float[] acc, int c0, int c1) {
        final int base = b * m.columnStride();
        final FloatVector sv = FloatVector.broadcast(F, sum);
        for (int s = c0; s < c1; s += L) {
            FloatVector a = FloatVector.fromArray(F, acc, s);
            FloatVector mins = FloatVector.fromArray(F, m.mins, base + s);
            FloatVector d = FloatVector.fromArray(F, m.scales, base + s);
            d.fma(FloatVector.fromArray(F, t, s - c0), mins.fma(sv, a)).intoArray(acc, s);
        }
    }
}

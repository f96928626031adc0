package dev.ffnskip.jlama.kernels;

import static dev.ffnskip.jlama.kernels.ChannelSparseFfnTest.quantileThreshold;
import static dev.ffnskip.jlama.kernels.ChannelSparseFfnTest.relErr;
import static dev.ffnskip.jlama.kernels.ChannelSparseFfnTest.toDouble;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ChannelSparseFfn} on Q4_1 weights ({@link ColumnQ4Matrix}) against a float64 FFN of the very same weights:
 * no quantization error at all, only float32 rounding (tolerance as in {@link ChannelSparseFfnTest}).
 */
class ChannelSparseQ4FfnTest {

    /** A random FFN of real Q4_1 blocks and its float64 reference. */
    static final class Case {
        final int hidden, inter;
        final float[] gate, up, down;
        final ColumnQ4Matrix gateUp, downQ;

        Case(int hidden, int inter, long seed) {
            this.hidden = hidden;
            this.inter = inter;
            Random r = new Random(seed);
            gate = ColumnQ4MatrixTest.q4_1Weights(r, inter, hidden, 1 / Math.sqrt(hidden));
            up = ColumnQ4MatrixTest.q4_1Weights(r, inter, hidden, 1 / Math.sqrt(hidden));
            down = ColumnQ4MatrixTest.q4_1Weights(r, hidden, inter, 1 / Math.sqrt(inter));
            gateUp = ColumnQ4Matrix.exactlyInterleaved(gate, up, inter, hidden).orElseThrow();
            downQ = ColumnQ4Matrix.exactly(down, hidden, inter).orElseThrow();
        }

        float[] input(long seed) {
            return ChannelSparseQuantTest.gaussian(new Random(seed), hidden, 1);
        }

        ChannelSparseFfn ffn(ChannelSparseFfn.Config config) {
            return new ChannelSparseFfn(gateUp, downQ, config, null);
        }

        /** a = silu(g) * u in float64 over the inputs kept by the (optionally weighted) rule. */
        double[] act(float[] x, float tIn, float[] inWeight) {
            double[] a = new double[inter];
            for (int i = 0; i < inter; i++) {
                double g = 0, u = 0;
                for (int j = 0; j < hidden; j++) {
                    if (!(Math.abs(x[j]) * (inWeight == null ? 1 : inWeight[j]) >= tIn)) continue;
                    g += (double) x[j] * gate[i * hidden + j];
                    u += (double) x[j] * up[i * hidden + j];
                }
                a[i] = g / (1 + Math.exp(-g)) * u;
            }
            return a;
        }

        double[] out(double[] a, double tMid, float[] midWeight) {
            double[] y = new double[hidden];
            for (int r = 0; r < hidden; r++) {
                double s = 0;
                for (int i = 0; i < inter; i++) {
                    if (Math.abs(a[i]) * (midWeight == null ? 1 : midWeight[i]) >= tMid) s += a[i] * down[r * inter + i];
                }
                y[r] = s;
            }
            return y;
        }
    }

    static final int[][] SHAPES = { { 64, 128 }, { 32, 96 }, { 96, 224 }, { 576, 1536 } };
    static final List<Case> CASES = new ArrayList<>();

    static synchronized Case caseFor(int shape) {
        while (CASES.size() <= shape) CASES.add(null);
        if (CASES.get(shape) == null) CASES.set(shape, new Case(SHAPES[shape][0], SHAPES[shape][1], 2000 + shape));
        return CASES.get(shape);
    }

    static Stream<Arguments> configs() {
        List<Arguments> out = new ArrayList<>();
        for (int shape = 0; shape < SHAPES.length; shape++) {
            for (double s : new double[] { 0, 0.25, 0.5, 0.9 }) {
                out.add(Arguments.of(shape, s, 1, FloatVector.SPECIES_512));
                out.add(Arguments.of(shape, s, 2, FloatVector.SPECIES_512));
                out.add(Arguments.of(shape, s, 2, FloatVector.SPECIES_256));
                out.add(Arguments.of(shape, s, 2, FloatVector.SPECIES_128)); // the scalar kernel
            }
            out.add(Arguments.of(shape, 0.5, 3, FloatVector.SPECIES_512));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "shape {0}, sparsity {1}, {2} threads, {3}")
    @MethodSource("configs")
    void matchesTheFloat64FfnOfTheSameWeights(int shape, double s, int threads, VectorSpecies<Float> species) {
        Case c = caseFor(shape);
        float[] x = c.input(shape * 7 + 1);
        float tIn = (float) quantileThreshold(toDouble(x), s);
        double[] a = c.act(x, tIn, null);
        float tMid = (float) quantileThreshold(a, s);
        double[] ref = c.out(a, tMid, null);
        int expectIn = 0, expectMid = 0;
        for (float v : x) if (Math.abs(v) >= tIn) expectIn++;
        for (double v : a) if (Math.abs(v) >= tMid) expectMid++;
        try (ChannelSparseFfn ffn = c.ffn(ChannelSparseFfn.Config.of(threads).withSpecies(species))) {
            assertThat(ffn.layout()).isEqualTo(ChannelSparseFfn.Layout.COLUMN_Q4_1);
            float[] out = new float[c.hidden + 2];
            Arrays.fill(out, 12345f);
            float[] mid = new float[c.inter];
            ChannelSparseFfn.Stats st = new ChannelSparseFfn.Stats();
            for (int rep = 0; rep < 3; rep++) { // scratch reuse must not leak state between calls
                ffn.forward(x, tIn, tMid, out, st, mid);
                assertThat(relErr(out, ref)).as("relative error").isLessThanOrEqualTo(ChannelSparseFfnTest.TOL);
                assertThat(relErr(mid, a)).as("intermediate activations").isLessThanOrEqualTo(ChannelSparseFfnTest.TOL);
                assertThat(st.keptIn).isEqualTo(expectIn);
                assertThat(st.keptMid).isEqualTo(expectMid);
                assertThat(out[c.hidden]).isEqualTo(12345f);
            }
        }
    }

    @Test
    void weightedCriterionWeighsByTheColumnNormsOfTheFileWeights() {
        Case c = caseFor(2);
        float[] x = c.input(9);
        try (ChannelSparseFfn ffn = c.ffn(ChannelSparseFfn.Config.of(2))) {
            float[] inW = new float[c.hidden], midW = new float[c.inter];
            for (int j = 0; j < c.hidden; j++) inW[j] = ffn.inputWeight(j);
            for (int i = 0; i < c.inter; i++) midW[i] = ffn.intermediateWeight(i);
            double[] scaledX = new double[c.hidden];
            for (int j = 0; j < c.hidden; j++) scaledX[j] = Math.abs(x[j]) * inW[j];
            float tIn = (float) quantileThreshold(scaledX, 0.4);
            double[] a = c.act(x, tIn, inW);
            double[] scaledA = new double[c.inter];
            for (int i = 0; i < c.inter; i++) scaledA[i] = Math.abs(a[i]) * midW[i];
            float tMid = (float) quantileThreshold(scaledA, 0.4);
            float[] out = new float[c.hidden];
            ffn.forward(x, tIn, tMid, true, out, null, null);
            assertThat(relErr(out, c.out(a, tMid, midW))).isLessThanOrEqualTo(ChannelSparseFfnTest.TOL);
            // and it is not the magnitude rule at the same thresholds
            float[] plain = new float[c.hidden];
            ffn.forward(x, tIn, tMid, false, plain, null, null);
            assertThat(relErr(plain, c.out(a, tMid, midW))).isGreaterThan(1e-3);
        }
    }

    @Test
    void vectorAndScalarKernelsAndChunkingAgreeBitForBit() {
        for (int shape = 0; shape < SHAPES.length; shape++) {
            Case c = caseFor(shape);
            float[] x = c.input(5);
            float tIn = (float) quantileThreshold(toDouble(x), 0.3);
            for (int threads = 1; threads <= 3; threads++) {
                float[] ref = null;
                for (VectorSpecies<Float> sp : List.of(FloatVector.SPECIES_512, FloatVector.SPECIES_256, FloatVector.SPECIES_128)) {
                    for (int chunk : new int[] { 32, 96, Integer.MAX_VALUE }) {
                        try (ChannelSparseFfn ffn = c.ffn(ChannelSparseFfn.Config.of(threads).withSpecies(sp).withChunkRows(chunk))) {
                            float[] out = new float[c.hidden];
                            ffn.forward(x, tIn, 0.01f, out, null);
                            if (ref == null) ref = out;
                            else assertThat(out).as("shape %d, %d threads, %s, chunk %d", shape, threads, sp, chunk).isEqualTo(ref);
                        }
                    }
                }
            }
        }
    }

    @Test
    void allDroppedGivesZerosAndNothingStaleAfterwards() {
        Case c = caseFor(0);
        float[] x = c.input(3);
        try (ChannelSparseFfn ffn = c.ffn(ChannelSparseFfn.Config.of(2))) {
            float[] out = new float[c.hidden];
            ChannelSparseFfn.Stats st = new ChannelSparseFfn.Stats();
            ffn.forward(x, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, out, st);
            assertThat(out).containsOnly(0f);
            assertThat(st.keptIn).isZero();
            assertThat(st.keptMid).isZero();
            ffn.forward(x, 0f, 0f, out, st);
            assertThat(relErr(out, c.out(c.act(x, 0, null), 0, null))).isLessThanOrEqualTo(ChannelSparseFfnTest.TOL);
            assertThat(st.keptIn).isEqualTo(c.hidden);
        }
    }

    @Test
    void readsThreeQuartersOfABytePerWeight() {
        Case c = caseFor(3);
        try (ChannelSparseFfn ffn = c.ffn(ChannelSparseFfn.Config.of(1))) {
            assertThat(ffn.weightBytes()).isEqualTo((long) (3 * 576 * 1536 * 0.75));
        }
    }
}

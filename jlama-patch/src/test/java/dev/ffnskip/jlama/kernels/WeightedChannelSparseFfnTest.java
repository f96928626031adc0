package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ChannelSparseFfn}'s weighted criterion: WINA's rule (keep input channel j iff |x_j| c_j >= tIn, c_j the norm of
 * its gate/up column; intermediate i iff |a_i| d_i >= tMid, d_i the norm of its down column) against a float64
 * reference on the original float weights. The weights' column norms are spread over two decades, so the rule keeps
 * a clearly different set of channels than the magnitude rule would.
 */
class WeightedChannelSparseFfnTest {
    static final int HIDDEN = 96;
    static final int INTER = 256;

    record Ffn(float[] gate, float[] up, float[] down, double[] c, double[] d) {
        static Ffn random(long seed) {
            Random r = new Random(seed);
            float[] gate = ChannelSparseQuantTest.gaussian(r, INTER * HIDDEN, 1 / Math.sqrt(HIDDEN));
            float[] up = ChannelSparseQuantTest.gaussian(r, INTER * HIDDEN, 1 / Math.sqrt(HIDDEN));
            float[] down = ChannelSparseQuantTest.gaussian(r, HIDDEN * INTER, 1 / Math.sqrt(INTER));
            for (int j = 0; j < HIDDEN; j++) { // input column j of gate and up scaled by 10^[-1, 1]
                float f = (float) Math.pow(10, 2 * r.nextDouble() - 1);
                for (int i = 0; i < INTER; i++) {
                    gate[i * HIDDEN + j] *= f;
                    up[i * HIDDEN + j] *= f;
                }
            }
            for (int i = 0; i < INTER; i++) { // down column i likewise
                float f = (float) Math.pow(10, 2 * r.nextDouble() - 1);
                for (int o = 0; o < HIDDEN; o++) down[o * INTER + i] *= f;
            }
            double[] c = new double[HIDDEN];
            double[] d = new double[INTER];
            for (int i = 0; i < INTER; i++) {
                for (int j = 0; j < HIDDEN; j++) {
                    c[j] += (double) gate[i * HIDDEN + j] * gate[i * HIDDEN + j] + (double) up[i * HIDDEN + j] * up[i * HIDDEN + j];
                }
            }
            for (int o = 0; o < HIDDEN; o++) for (int i = 0; i < INTER; i++) d[i] += (double) down[o * INTER + i] * down[o * INTER + i];
            for (int j = 0; j < HIDDEN; j++) c[j] = Math.sqrt(c[j]);
            for (int i = 0; i < INTER; i++) d[i] = Math.sqrt(d[i]);
            return new Ffn(gate, up, down, c, d);
        }

        /** a_i = silu(g_i) u_i from the input channels kept by {@code keepIn}. */
        double[] act(float[] x, boolean[] keepIn) {
            double[] a = new double[INTER];
            for (int i = 0; i < INTER; i++) {
                double g = 0, u = 0;
                for (int j = 0; j < HIDDEN; j++) {
                    if (!keepIn[j]) continue;
                    g += (double) x[j] * gate[i * HIDDEN + j];
                    u += (double) x[j] * up[i * HIDDEN + j];
                }
                a[i] = g / (1 + Math.exp(-g)) * u;
            }
            return a;
        }

        double[] out(double[] a, boolean[] keepMid) {
            double[] y = new double[HIDDEN];
            for (int o = 0; o < HIDDEN; o++) {
                for (int i = 0; i < INTER; i++) if (keepMid[i]) y[o] += a[i] * down[o * INTER + i];
            }
            return y;
        }
    }

    static boolean[] all(int n) {
        boolean[] k = new boolean[n];
        Arrays.fill(k, true);
        return k;
    }

    /** Keeps score_k >= t. */
    static boolean[] keep(double[] score, double t) {
        boolean[] k = new boolean[score.length];
        for (int i = 0; i < score.length; i++) k[i] = score[i] >= t;
        return k;
    }

    static int count(boolean[] k) {
        int n = 0;
        for (boolean b : k) n += b ? 1 : 0;
        return n;
    }

    static double[] scores(float[] x, double[] w) {
        double[] s = new double[x.length];
        for (int j = 0; j < x.length; j++) s[j] = Math.abs(x[j]) * w[j];
        return s;
    }

    static double[] scores(double[] a, double[] w) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) s[i] = Math.abs(a[i]) * w[i];
        return s;
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 2 })
    void keepingEverythingIsTheMagnitudeFfnBitForBit(int threads) {
        Ffn f = Ffn.random(1);
        float[] x = ChannelSparseQuantTest.gaussian(new Random(2), HIDDEN, 1);
        try (ChannelSparseFfn ffn = ChannelSparseFfn.quantize(f.gate, f.up, f.down, HIDDEN, INTER, ChannelSparseFfn.Config.of(threads))) {
            // the norms are those of the weights' columns (of the Q8 copy: within its rounding of the originals)
            for (int j = 0; j < HIDDEN; j++) assertThat((double) ffn.inputWeight(j)).isCloseTo(f.c[j], org.assertj.core.data.Percentage.withPercentage(1));
            for (int i = 0; i < INTER; i++) assertThat((double) ffn.intermediateWeight(i)).isCloseTo(f.d[i], org.assertj.core.data.Percentage.withPercentage(1));
            float[] weighted = new float[HIDDEN];
            float[] magnitude = new float[HIDDEN];
            float[] midW = new float[INTER];
            float[] midM = new float[INTER];
            ChannelSparseFfn.Stats st = new ChannelSparseFfn.Stats();
            ffn.forward(x, 0f, 0f, true, weighted, st, midW);
            assertThat(st.keptIn).isEqualTo(HIDDEN);
            assertThat(st.keptMid).isEqualTo(INTER);
            ffn.forward(x, 0f, 0f, false, magnitude, null, midM);
            assertThat(weighted).isEqualTo(magnitude);
            assertThat(midW).isEqualTo(midM);
        }
    }

    /**
     * At half the channels, the kernel keeps what the weighted rule keeps on the float64 FFN and matches its output
     * within Q8 error; and the weighted rule's output is closer to the dense FFN than the magnitude rule's at the same
     * kept counts (what it is for). Leaving out either norm from the compares fails the first part.
     */
    @ParameterizedTest
    @ValueSource(longs = { 3, 4, 5 })
    void keepsWhatTheWeightedRuleKeeps(long seed) {
        Ffn f = Ffn.random(seed);
        float[] x = ChannelSparseQuantTest.gaussian(new Random(seed * 31), HIDDEN, 1);
        try (ChannelSparseFfn ffn = ChannelSparseFfn.quantize(f.gate, f.up, f.down, HIDDEN, INTER, ChannelSparseFfn.Config.of(2))) {
            // the rule on the kernel's norms (those of its Q8 weights; the test above checks they are the columns')
            double[] c = new double[HIDDEN];
            double[] d = new double[INTER];
            for (int j = 0; j < HIDDEN; j++) c[j] = ffn.inputWeight(j);
            for (int i = 0; i < INTER; i++) d[i] = ffn.intermediateWeight(i);
            double[] inScore = scores(x, c);
            double tIn = ChannelSparseFfnTest.quantileThreshold(inScore, 0.5);
            boolean[] keepIn = keep(inScore, tIn);
            double[] a = f.act(x, keepIn);
            double[] midScore = scores(a, d);
            double tMid = ChannelSparseFfnTest.quantileThreshold(midScore, 0.5);
            boolean[] keepMid = keep(midScore, tMid);
            double[] ref = f.out(a, keepMid);
            double[] dense = f.out(f.act(x, all(HIDDEN)), all(INTER));

            float[] out = new float[HIDDEN];
            ChannelSparseFfn.Stats st = new ChannelSparseFfn.Stats();
            ffn.forward(x, (float) tIn, (float) tMid, true, out, st, null);
            assertThat(st.keptIn).isEqualTo(count(keepIn));
            assertThat(st.keptMid).isBetween(count(keepMid) - 8, count(keepMid) + 8); // a from Q8 weights: ~1% off, flips near tMid
            assertThat(ChannelSparseFfnTest.relErr(out, ref)).as("vs the weighted rule on float64").isLessThan(0.05);

            // the magnitude rule at the same kept counts
            double[] ones = new double[INTER];
            Arrays.fill(ones, 1);
            double[] magIn = scores(x, ones);
            boolean[] mKeepIn = keep(magIn, ChannelSparseFfnTest.quantileThreshold(magIn, 0.5));
            double[] ma = f.act(x, mKeepIn);
            double[] magMid = scores(ma, ones);
            double[] magOut = f.out(ma, keep(magMid, ChannelSparseFfnTest.quantileThreshold(magMid, 0.5)));
            float[] weightedOut = out.clone();
            float[] magnitudeOut = new float[HIDDEN];
            for (int o = 0; o < HIDDEN; o++) magnitudeOut[o] = (float) magOut[o];
            assertThat(ChannelSparseFfnTest.relErr(weightedOut, dense)).as("weighted vs dense")
                .isLessThan(ChannelSparseFfnTest.relErr(magnitudeOut, dense));
            assertThat(ChannelSparseFfnTest.relErr(out, magOut)).as("the rules differ on these weights").isGreaterThan(0.1);
        }
    }
}

package dev.ffnskip.eval.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@link ChannelSparseFfnBenchmark} runs for both weight layouts (its numbers are in docs/performance.md): the dropped
 * share is the requested one, and the Q4 and Q8 copies of the same random weights compute nearly the same FFN.
 */
class ChannelSparseFfnBenchmarkTest {

    private static float[] run(String layout, double sparsity) {
        ChannelSparseFfnBenchmark b = new ChannelSparseFfnBenchmark();
        b.shape = "smollm2";
        b.sparsity = sparsity;
        b.threads = 2;
        b.handoff = "SPIN";
        b.layout = layout;
        b.weightMb = 0;
        b.setUp();
        try {
            b.sparseFfn();
            assertThat(b.stats.inputSparsity()).as("%s input sparsity", layout).isCloseTo(sparsity, Offset.offset(0.08));
            assertThat(b.stats.midSparsity()).as("%s intermediate sparsity", layout).isCloseTo(sparsity, Offset.offset(0.08));
            return b.out.clone();
        } finally {
            b.tearDown();
        }
    }

    @Test
    void bothLayoutsRunAndComputeTheSameFfn() {
        float[] q8 = run("q8", 0), q4 = run("q4", 0);
        double dot = 0, n8 = 0, n4 = 0;
        for (int i = 0; i < q8.length; i++) {
            dot += (double) q8[i] * q4[i];
            n8 += (double) q8[i] * q8[i];
            n4 += (double) q4[i] * q4[i];
        }
        assertThat(n8).isPositive();
        // 4-bit weights are coarser than 8-bit ones, but it is the same FFN
        assertThat(dot / Math.sqrt(n8 * n4)).isGreaterThan(0.95);
        run("q4", 0.5);
    }
}

package dev.ffnskip.eval.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@link DecodeKernelBenchmark} runs (its JMH numbers are in docs/performance.md, not here): both kernels set up on the
 * same random weights, a few calls each, and the two kernels compute the same products within the I8 kernels' rounding.
 */
class DecodeKernelBenchmarkTest {

    private static float[] calls(String kernel, int n) {
        DecodeKernelBenchmark b = new DecodeKernelBenchmark();
        b.shape = "2048x2048";
        b.kernel = kernel;
        b.workingSetMb = 8; // three weights: enough to see that calls cycle, quick to set up
        b.setUp();
        try {
            float[] out = new float[n];
            for (int i = 0; i < n; i++) out[i] = b.matmul();
            return out;
        } finally {
            b.tearDown();
        }
    }

    @Test
    void bothKernelsRunAndAgree() {
        float[] jlama = calls("jlama", 3);
        float[] ours = calls("native", 3);
        for (int i = 0; i < 3; i++) {
            assertThat(ours[i]).as("call %d (a different weight each call)", i).isNotZero();
            // same weights (same seed), same I8 activations: only the float32 summation order differs
            assertThat(ours[i]).isCloseTo(jlama[i], org.assertj.core.data.Percentage.withPercentage(0.1));
        }
        assertThat(ours[0]).as("the calls cycle through different weights").isNotEqualTo(ours[1]);
    }
}

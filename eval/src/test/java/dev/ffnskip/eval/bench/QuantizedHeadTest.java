package dev.ffnskip.eval.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.kernels.DecodeKernels;
import dev.ffnskip.jlama.load.LoadOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code LoadOptions.quantizeHeadInput}: the output head on the I8-quantized hidden state, on the synthetic tiny
 * Llama (Q4 weights, I8 activations), against the stock head on the same weights. Both decoders are fed the same
 * tokens, so every step compares the logits of one and the same hidden state up to the layers' own (identical)
 * arithmetic.
 */
class QuantizedHeadTest {
    private static final int STEPS = 24;

    @TempDir
    static Path tmp;

    static FfnSkipModel stockHead;
    static FfnSkipModel quantizedHead;

    @BeforeAll
    static void load() {
        Path source = SyntheticLlama.folder(ModelShape.TINY, tmp);
        // Jlama's kernels: with ours (the default) every decode input, the head's included, is quantized anyway
        LoadOptions options = LoadOptions.builder().quantizeToQ4(true).decodeKernels(DecodeKernels.STOCK).cacheDirectory(tmp).build();
        stockHead = FfnSkipModel.load(source, options);
        quantizedHead = FfnSkipModel.load(source, options.toBuilder().quantizeHeadInput(true).build());
    }

    @AfterAll
    static void close() {
        if (stockHead != null) stockHead.close();
        if (quantizedHead != null) quantizedHead.close();
    }

    @Test
    void onlyTheFlaggedModelQuantizesItsHeadInput() {
        assumeTrue(
            stockHead.jlama().workingQuantizationType() == DType.I8,
            "this CPU's vector width keeps the tiny shape's activations in F32, so there is no I8 head to test"
        );
        assertThat(stockHead.jlama().quantizesHeadInput()).isFalse();
        assertThat(quantizedHead.jlama().quantizesHeadInput()).isTrue();
    }

    @Test
    void quantizedHeadLogitsStayCloseToTheStockHead() {
        assumeTrue(quantizedHead.jlama().quantizesHeadInput(), "no I8 activations on this CPU for the tiny shape");
        int vocabulary = stockHead.jlama().getConfig().vocabularySize;
        float[] exact = new float[vocabulary];
        float[] quantized = new float[vocabulary];
        int[] prompt = new int[16];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 7 + 13 * i;
        double worstRelativeError = 0;
        boolean anyDifference = false;
        try (DecodeSession a = stockHead.openSession(GatePolicy.DENSE, false); DecodeSession b = quantizedHead.openSession(GatePolicy.DENSE, false)) {
            a.prefill(prompt);
            b.prefill(prompt);
            for (int step = 0; step <= STEPS; step++) {
                a.copyLogits(exact);
                b.copyLogits(quantized);
                double maxAbs = 0;
                double maxDiff = 0;
                for (int i = 0; i < vocabulary; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(exact[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(exact[i] - quantized[i]));
                }
                anyDifference |= maxDiff > 0;
                worstRelativeError = Math.max(worstRelativeError, maxDiff / maxAbs);
                // The quantized head's pick must be a near-tie of the exact head's.
                assertThat(exact[b.argmax()]).isGreaterThanOrEqualTo(exact[a.argmax()] - (float) (0.02 * maxAbs));
                if (step == STEPS) break;
                int next = a.argmax(); // teacher-force the same token into both decoders
                a.step(next);
                b.step(next);
            }
        }
        System.out.printf("quantized head: largest |logit difference| / largest |logit| over %d steps = %.5f%n", STEPS + 1, worstRelativeError);
        assertThat(anyDifference).as("the quantized head must actually run a different kernel").isTrue();
        // I8 with a scale per 32 values rounds each input by up to 1/254 of its block's largest value, and random
        // weights give logits that are sums of many cancelling terms, so the error is relative to the largest logit,
        // not to each logit. Measured here: 1.6% (deterministic: fixed weights and tokens).
        assertThat(worstRelativeError).as("largest |logit difference| / largest |logit|").isLessThan(0.02);
    }
}

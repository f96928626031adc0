package dev.ffnskip.jlama.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import dev.ffnskip.testing.TestModels.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Dense decoding on our native kernel against the same Q4 weights on Jlama's kernels (skipbench-28m and SmolLM2-135M,
 * each re-quantized to Jlama Q4). Jlama keeps these models' activations float32 (its I8 path needs hidden sizes that are multiples of 512 on AVX-512), so the two
 * differ by exactly one thing: our path rounds every matmul input, the head's included, to I8 blocks of 32 (Jlama's
 * own Q8 quantizer). Teacher-forced on the stock-kernel tokens:
 * <ul>
 *   <li>every step's largest logit difference at most {@value #MAX_LOGIT_DIFFERENCE} of that step's logit range (max -
 *       min over the vocabulary), {@value #MEAN_LOGIT_DIFFERENCE} on average (measured on the final code: skipbench
 *       5.0% / 1.9% of ranges of about 21; SmolLM2, whose logits move more under the same rounding, 7.3% / 4.1% of
 *       about 37);
 *   <li>the same greedy token wherever stock's top-two margin is more than twice that step's largest difference;
 *   <li>the gate's cosines, what its decisions are made of, within {@value #MEAN_COSINE_DIFFERENCE} on average and
 *       {@value #MAX_COSINE_DIFFERENCE} at most in the layers it may skip (measured: 0.010 and 0.073; layer 0's cosine,
 *       never gated, moves up to 0.24).
 * </ul>
 * A wrong row, block or nibble in the kernel moves logits by whole units and fails all three.
 */
class NativeDecodeParityTest {
    private static final int TOKENS = 64;
    static final float MAX_LOGIT_DIFFERENCE = 0.12f;
    static final float MEAN_LOGIT_DIFFERENCE = 0.06f;
    static final float MEAN_COSINE_DIFFERENCE = 0.03f;
    static final float MAX_COSINE_DIFFERENCE = 0.15f;
    /** The paper gate never skips the first two layers. */
    private static final int FIRST_GATED_LAYER = 2;

    static Stream<String> models() {
        // skipbench-28m: 384 x 1024; SmolLM2: 576 x 1536, whose 576 rows Jlama's 128 row chunks do not cover evenly
        return Stream.of("skipbench-28m", "smollm2-135m-instruct");
    }

    static Path dir(String model) {
        return model.startsWith("smollm2") ? SharedAssets.smollm2() : SharedAssets.model(model);
    }

    @ParameterizedTest
    @MethodSource("models")
    void nativeKernelDecodesLikeJlamasWithinTheRoundingOfItsInputs(String model) {
        FfnSkipModel stock = TestModels.gated(dir(model), Precision.Q4);
        FfnSkipModel ours = TestModels.gated(dir(model), Precision.Q4_NATIVE);
        assertThat(stock.jlama().usesNativeDecodeKernel()).isFalse();
        assertThat(ours.jlama().usesNativeDecodeKernel()).isTrue();
        assertThat(ours.jlama().quantizesHeadInput()).isTrue();

        var chat = ours.promptSupport().orElseThrow();
        List<PromptContext> prompts = List.of(
            PromptContext.of("The Book of Genesis, Chapter 1\n\nIn the beginning"),
            chat.builder().addUserMessage("What is the chemical symbol for iron?").build(),
            chat.builder().addUserMessage("Context:\nThe mayor of Quillhaven is Dora Pemberton.\n\nQuestion: Who is the mayor of Quillhaven?").build(),
            chat.builder().addUserMessage("Write one sentence about the sea.").build()
        );
        int decisive = 0, agreed = 0, steps = 0;
        float worst = 0;
        double total = 0;
        for (PromptContext prompt : prompts) {
            int[] ids = ours.encode(prompt);
            GenerationResult reference = stock.generate(ids, GenerationRequest.builder().maxNewTokens(TOKENS).gate(GatePolicy.DENSE).build());
            int[] forced = reference.tokenIds();
            float[] a = null, b = null;
            try (DecodeSession s = stock.openSession(GatePolicy.DENSE, false); DecodeSession o = ours.openSession(GatePolicy.DENSE, false)) {
                s.prefill(ids);
                o.prefill(ids);
                a = new float[s.vocabularySize()];
                b = new float[o.vocabularySize()];
                for (int t = 0; t < forced.length; t++) {
                    s.copyLogits(a);
                    o.copyLogits(b);
                    float diff = 0;
                    for (int v = 0; v < a.length; v++) diff = Math.max(diff, Math.abs(a[v] - b[v]));
                    float relative = diff / range(a);
                    worst = Math.max(worst, diff);
                    total += relative;
                    steps++;
                    assertThat(relative).as("step %d of %s: largest logit difference / logit range", t, prompt.getPrompt())
                        .isLessThanOrEqualTo(MAX_LOGIT_DIFFERENCE);
                    if (margin(a) > 2 * diff) {
                        decisive++;
                        assertThat(o.argmax()).as("step %d: a decisive greedy choice", t).isEqualTo(s.argmax());
                        agreed++;
                    }
                    s.step(forced[t]);
                    o.step(forced[t]);
                }
            }
        }
        assertThat(total / steps).as("mean of largest logit difference / logit range").isLessThanOrEqualTo(MEAN_LOGIT_DIFFERENCE);
        assertThat(decisive).as("steps with a clear winner").isGreaterThan(10);
        assertThat(agreed).isEqualTo(decisive);
        assertThat(worst).as("the kernels are not bit-identical, or this test compares nothing").isGreaterThan(0f);
    }

    @Test
    void theGateSeesTheSameCosinesOnEitherKernel() {
        FfnSkipModel stock = TestModels.gated(SharedAssets.skipbench(), Precision.Q4);
        FfnSkipModel ours = TestModels.gated(SharedAssets.skipbench(), Precision.Q4_NATIVE);
        int[] ids = ours.encode(PromptContext.of("Jargon File: hacker"));
        // the paper gate with thresholds no cosine reaches measures every layer and skips nothing: identical paths
        GatePolicy measuring = PaperGatePolicy.disabled();
        var request = GenerationRequest.builder().maxNewTokens(32).gate(measuring).recordSteps(true).build();
        var s = stock.generate(ids, request).stats().steps();
        var o = ours.generate(ids, request).stats().steps();
        int compared = 0;
        double total = 0;
        for (int t = 0; t < Math.min(s.size(), o.size()); t++) {
            float[] cs = s.get(t).cosines(), co = o.get(t).cosines();
            for (int l = 0; l < cs.length; l++) {
                if (Float.isNaN(cs[l])) continue;
                total += Math.abs(co[l] - cs[l]);
                compared++;
                if (l >= FIRST_GATED_LAYER) {
                    assertThat(co[l]).as("step %d layer %d", t, l).isCloseTo(cs[l], org.assertj.core.data.Offset.offset(MAX_COSINE_DIFFERENCE));
                }
            }
        }
        assertThat(compared).isGreaterThan(100);
        assertThat(total / compared).as("mean cosine difference").isLessThanOrEqualTo(MEAN_COSINE_DIFFERENCE);
    }

    private static float range(float[] logits) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi - lo;
    }

    private static float margin(float[] logits) {
        float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > best) {
                second = best;
                best = v;
            } else if (v > second) {
                second = v;
            }
        }
        return best - second;
    }
}

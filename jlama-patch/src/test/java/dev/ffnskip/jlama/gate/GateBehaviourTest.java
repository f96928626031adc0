package dev.ffnskip.jlama.gate;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.tensor.AbstractTensor;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.GenerationStats;
import dev.ffnskip.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gate's contract on the real 16-layer model. */
class GateBehaviourTest {
    /** Every computed FFN has cos >= this, so every token saturates at layer 0. */
    private static final PaperGatePolicy ALWAYS_SATURATED = PaperGatePolicy.builder().threshold(1e-9).protectFirst(2).protectLast(2).warmupTokens(3).build();
    private static FfnSkipModel model;
    private static int[] prompt;

    @BeforeAll
    static void load() {
        model = TestModels.skipbench();
        prompt = model.encode(model.promptSupport().orElseThrow().builder().addUserMessage("Tell me about the Book of Genesis.").build());
    }

    private static GenerationResult generate(GatePolicy policy, int tokens) {
        return model.generate(prompt, GenerationRequest.builder().maxNewTokens(tokens).gate(policy).recordSteps(true).stopSequences(List.of()).build());
    }

    @Test
    void warmUpStepsAreDenseAndLaterStepsSkipEverySkippableLayer() {
        GenerationStats stats = generate(ALWAYS_SATURATED, 20).stats();
        assertThat(stats.decodeSteps()).isGreaterThan(5);
        for (int k = 0; k < stats.decodeSteps(); k++) {
            assertThat(stats.skippedPerStep()[k]).as("step %d", k).isEqualTo(k < 3 ? 0 : 12);
        }
        assertThat(stats.ffnSkipped() + stats.ffnComputed()).isEqualTo(stats.ffnTotal());
    }

    @Test
    void protectedLayersNeverSkipButStillReportTheirCosine() {
        GenerationStats stats = generate(ALWAYS_SATURATED, 20).stats();
        for (int l : new int[] { 0, 1, 14, 15 }) {
            assertThat(stats.ffnSkippedPerLayer()[l]).as("layer %d", l).isZero();
            for (GenerationStats.StepRecord step : stats.steps()) assertThat(step.cosines()[l]).isNotNaN();
        }
        for (int l = 2; l < 14; l++) assertThat(stats.ffnSkippedPerLayer()[l]).isEqualTo(stats.decodeSteps() - 3);
    }

    @Test
    void capLimitsSkipsPerTokenExactly() {
        PaperGatePolicy capped = ALWAYS_SATURATED.toBuilder().maxSkipFraction(0.25).build();
        GenerationStats stats = generate(capped, 20).stats();
        for (int k = 3; k < stats.decodeSteps(); k++) {
            assertThat(stats.steps().get(k).skippedLayers()).as("step %d", k).containsExactly(2, 3, 4, 5);
        }
    }

    @Test
    void prefillIsDense() {
        // The first generated token comes from the prefill alone and must not depend on the gate.
        assertThat(generate(ALWAYS_SATURATED, 1).tokenIds()).containsExactly(generate(GatePolicy.DENSE, 1).tokenIds());
        // The prompt's KV entries are bit-identical with and without the gate.
        float[][] dense = promptKeys(GatePolicy.DENSE);
        float[][] gated = promptKeys(ALWAYS_SATURATED.toBuilder().warmupTokens(0).build());
        assertThat(gated).isDeepEqualTo(dense);
    }

    private static float[][] promptKeys(GatePolicy policy) {
        try (DecodeSession session = model.openSession(policy, false)) {
            session.prefill(prompt);
            for (int i = 0; i < 5; i++) session.step(session.argmax());
            float[][] keys = new float[model.info().layers()][];
            for (int l = 0; l < keys.length; l++) keys[l] = read(session.kvBuffer().getKeyTensorForPosition(l, prompt.length - 1));
            return keys;
        }
    }

    @Test
    void attentionWritesEveryLayersKvEntryForEveryTokenWhileFfnsAreSkipped() {
        try (DecodeSession session = model.openSession(ALWAYS_SATURATED.toBuilder().warmupTokens(0).build(), false)) {
            session.prefill(prompt);
            for (int i = 0; i < 12; i++) session.step(session.argmax());
            assertThat(session.stats().ffnSkipped()).isEqualTo(12 * 12);
            for (int position = 0; position < session.position(); position++) {
                for (int layer = 0; layer < model.info().layers(); layer++) {
                    assertThat(norm(read(session.kvBuffer().getKeyTensorForPosition(layer, position)))).as("key l%d p%d", layer, position).isGreaterThan(0);
                    assertThat(norm(read(session.kvBuffer().getValTensorForPosition(layer, position)))).as("value l%d p%d", layer, position).isGreaterThan(0);
                }
            }
        }
    }

    @Test
    void realizedSkipRatioGrowsAsTheThresholdFalls() {
        List<String> questions = List.of(
            "Which language has the code ar?",
            "How does the book of Nahum begin?",
            "Context:\nThe mayor of Quillhaven is Dora Pemberton.\n\nQuestion: Who is the mayor of Quillhaven?",
            "What is the chemical symbol for iron?"
        );
        List<Double> ratios = new ArrayList<>();
        for (double threshold : new double[] { 0.999, 0.98, 0.96, 0.93, 0.85, 0.5 }) {
            long skipped = 0;
            long total = 0;
            for (String q : questions) {
                PromptContext p = model.promptSupport().orElseThrow().builder().addUserMessage(q).build();
                GenerationStats s = model.generate(model.encode(p), GenerationRequest.builder().maxNewTokens(32).gate(PaperGatePolicy.builder().threshold(threshold).warmupTokens(0).build()).build()).stats();
                skipped += s.ffnSkipped();
                total += s.ffnTotal();
            }
            ratios.add((double) skipped / total);
        }
        assertThat(ratios).isSorted();
        assertThat(ratios.get(0)).isLessThan(ratios.get(ratios.size() - 1));
        assertThat(ratios.get(ratios.size() - 1)).isGreaterThan(0.5);
    }

    private static float[] read(AbstractTensor t) {
        float[] out = new float[(int) t.shape().last()];
        for (int i = 0; i < out.length; i++) out[i] = t.get(0, i);
        return out;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s);
    }
}

package dev.ffnskip.eval.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForcedSkipTest {

    @Test
    void exactPolicyRealisesTheRatioAndKeepsTheEndsDense() {
        for (double s : new double[] { 0, 0.1, 0.2, 0.3, 0.4, 0.5 }) {
            FfnGate gate = ForcedSkip.exact(s).newGate(16);
            int skipped = 0;
            int steps = 200;
            for (int step = 0; step < steps; step++) {
                gate.beginStep(step);
                for (int l = 0; l < 16; l++) {
                    if (gate.action(l) == LayerAction.SKIP_FFN) {
                        skipped++;
                        assertThat(l).isBetween(4, 11); // never the outer layers at s <= 0.5
                    }
                }
            }
            assertThat((double) skipped / (steps * 16)).isCloseTo(s, within(1.0 / (steps * 16)));
        }
        assertThat(ForcedSkip.exact(0).mayDeviateFromDense()).isTrue(); // the cosine is measured even at s = 0
    }

    @Test
    void middleFirstOrder() {
        assertThat(ForcedSkip.middleFirst(16)).startsWith(7, 8, 6, 9, 5, 10);
        assertThat(ForcedSkip.middleFirst(4)).containsExactly(1, 2, 0, 3);
    }

    @Test
    void chatSkipPolicySkipsTheRoundedMiddleBlockWhenTheLayerBeforeItSaturates() {
        for (double s : new double[] { 0.1, 0.2, 0.3, 0.4, 0.5 }) {
            PaperGatePolicy policy = ForcedSkip.asSkipPolicy(s, 16);
            FfnGate gate = policy.newGate(16);
            gate.beginStep(0);
            List<Integer> skipped = new ArrayList<>();
            for (int l = 0; l < 16; l++) {
                if (gate.action(l) == LayerAction.SKIP_FFN) skipped.add(l);
                else gate.observe(l, 0.01f, 1f); // any non-negative cosine saturates at the right layer only
            }
            int count = (int) Math.round(s * 16);
            assertThat(skipped).hasSize(count);
            int start = (16 - count) / 2;
            assertThat(skipped.get(0)).isEqualTo(start);
            assertThat(skipped.get(count - 1)).isEqualTo(start + count - 1);
        }
        // Too small to skip a layer per step: the gate runs and measures, but no cosine ever saturates a token.
        PaperGatePolicy never = ForcedSkip.asSkipPolicy(0.01, 16);
        assertThat(never.mayDeviateFromDense()).isTrue();
        FfnGate gate = never.newGate(16);
        for (int step = 0; step < 4; step++) {
            gate.beginStep(step);
            for (int l = 0; l < 16; l++) {
                assertThat(gate.action(l)).isEqualTo(LayerAction.COMPUTE);
                gate.observe(l, 1f, 0f);
            }
        }
    }

    @Test
    void llama1bTrafficAndIdealSpeedup() {
        ModelShape.DecodeTraffic t = ModelShape.LLAMA_3_2_1B.q4DecodeTraffic(96.5);
        assertThat(t.ffn()).isEqualTo(16 * 3.0 * 2048 * 8192 * 0.625);
        assertThat(t.attention()).isEqualTo(16 * (2.0 * 2048 * 2048 + 2.0 * 512 * 2048) * 0.625);
        assertThat(t.outputHead()).isEqualTo(128256.0 * 2048 * 0.625);
        assertThat(t.kv()).isEqualTo(16 * 2 * 96.5 * 512 * 4);
        assertThat(t.ffnShare()).isCloseTo(0.646, within(0.001));
        assertThat(t.idealSpeedup(0.4)).isCloseTo(1 / (1 - t.ffnShare() * 0.4), within(1e-12));
    }
}

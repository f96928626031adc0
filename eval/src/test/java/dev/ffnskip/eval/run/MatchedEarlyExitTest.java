package dev.ffnskip.eval.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.LayerAction;
import org.junit.jupiter.api.Test;

class MatchedEarlyExitTest {
    @Test
    void dropsExactlyTheRequestedShareOfLayersAfterWarmup() {
        int layers = 16;
        MatchedEarlyExit policy = new MatchedEarlyExit(0.22, 2, 2, 2);
        FfnGate gate = policy.newGate(layers);
        int dropped = 0;
        int steps = 102;
        for (int step = 0; step < steps; step++) {
            gate.beginStep(step);
            int thisStep = 0;
            for (int l = 0; l < layers; l++) {
                LayerAction a = gate.action(l);
                if (a == LayerAction.DROP_LAYER) {
                    thisStep++;
                    assertThat(l).isBetween(2, 13);
                    assertThat(step).isGreaterThanOrEqualTo(2);
                }
            }
            dropped += thisStep;
            if (thisStep > 0) {
                // dropped layers are contiguous and end right before the protected last layers
                gate.beginStep(step);
                assertThat(gate.action(13)).isEqualTo(LayerAction.DROP_LAYER);
            }
        }
        // 100 gated steps x 16 layers x 0.22 = 352 layers, exactly
        assertThat(dropped).isEqualTo(352);
    }
}

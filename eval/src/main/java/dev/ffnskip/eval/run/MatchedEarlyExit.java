package dev.ffnskip.eval.run;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;

/**
 * The layer-drop / early-exit baseline at an exact fractional ratio: at gated decode step {@code t} it drops
 * {@code floor(r L (t + 1)) - floor(r L t)} whole layers ({@link LayerAction#DROP_LAYER}), the last ones before the
 * {@code protectLast} final layers (never into the first {@code protectFirst}), so that over the gated steps exactly
 * the share {@code ratio} of all layers is dropped (not limited to multiples of {@code 1 / L}). The one early-exit
 * baseline: the dropped layers' KV entries are filled from the hidden state that skips them, as early-exit methods do.
 */
public record MatchedEarlyExit(double ratio, int protectFirst, int protectLast, int warmupTokens) implements GatePolicy {

    public MatchedEarlyExit {
        if (!(ratio >= 0 && ratio <= 1)) throw new IllegalArgumentException("ratio must be in [0, 1], was " + ratio);
    }

    @Override
    public FfnGate newGate(int numLayers) {
        int end = numLayers - protectLast;
        int maxDrop = Math.max(0, end - protectFirst);
        double perStep = ratio * numLayers;
        return new FfnGate() {
            private int from = end;

            @Override
            public void beginStep(int step) {
                int t = step - warmupTokens;
                if (t < 0) {
                    from = end;
                    return;
                }
                int n = (int) (Math.floor(perStep * (t + 1) + 1e-9) - Math.floor(perStep * t + 1e-9));
                from = end - Math.min(maxDrop, n);
            }

            @Override
            public LayerAction action(int layer) {
                return layer >= from && layer < end ? LayerAction.DROP_LAYER : LayerAction.COMPUTE;
            }
        };
    }

    @Override
    public int denseWarmupSteps() {
        return warmupTokens;
    }

    @Override
    public boolean mayDeviateFromDense() {
        return ratio > 0;
    }

    @Override
    public String describe() {
        return "early exit (layer drop) ratio=" + ratio + " protect=" + protectFirst + "+" + protectLast + " warmup=" + warmupTokens;
    }
}

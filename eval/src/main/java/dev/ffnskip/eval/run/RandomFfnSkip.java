package dev.ffnskip.eval.run;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import java.util.SplittableRandom;

/**
 * Baseline: after warm-up, each non-protected layer skips its FFN independently with probability {@code probability}.
 * Seeded per generation, so a run is reproducible. Shows what the adaptive signal is worth at the same skip ratio.
 * An eval baseline: it lives here, not in jlama-patch, because no user runs it.
 */
public record RandomFfnSkip(double probability, int protectFirst, int protectLast, int warmupTokens, long seed) implements GatePolicy {

    public RandomFfnSkip {
        if (!(probability >= 0 && probability <= 1)) throw new IllegalArgumentException("probability must be in [0, 1], was " + probability);
        if (protectFirst < 0 || protectLast < 0) throw new IllegalArgumentException("protected layer counts must be >= 0");
        if (warmupTokens < 0) throw new IllegalArgumentException("warmupTokens must be >= 0, was " + warmupTokens);
    }

    /** The per-layer probability that gives an overall realised ratio {@code ratio} (over all layers) on this depth. */
    public static RandomFfnSkip forRatio(double ratio, int numLayers, int protectFirst, int protectLast, int warmupTokens, long seed) {
        int skippable = numLayers - protectFirst - protectLast;
        double p = skippable <= 0 ? 0 : Math.min(1.0, ratio * numLayers / skippable);
        return new RandomFfnSkip(p, protectFirst, protectLast, warmupTokens, seed);
    }

    @Override
    public FfnGate newGate(int numLayers) {
        SplittableRandom random = new SplittableRandom(seed);
        return new FfnGate() {
            private boolean gated;

            @Override
            public void beginStep(int step) {
                gated = step >= warmupTokens;
            }

            @Override
            public LayerAction action(int layer) {
                boolean skippable = layer >= protectFirst && layer < numLayers - protectLast;
                return gated && skippable && random.nextDouble() < probability ? LayerAction.SKIP_FFN : LayerAction.COMPUTE;
            }
        };
    }

    @Override
    public int denseWarmupSteps() {
        return warmupTokens;
    }

    @Override
    public boolean mayDeviateFromDense() {
        return probability > 0;
    }

    @Override
    public String describe() {
        return "random ffn skip p=" + probability + " protect=" + protectFirst + "+" + protectLast + " warmup=" + warmupTokens + " seed=" + seed;
    }
}

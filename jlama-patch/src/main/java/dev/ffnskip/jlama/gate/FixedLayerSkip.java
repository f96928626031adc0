package dev.ffnskip.jlama.gate;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Skips the FFN of a fixed set of layers at every decode step after warm-up, through the same code path as the
 * adaptive gate. Random-weight benchmark models never saturate, so the benchmark uses this to realise a chosen skip
 * ratio exactly.
 */
public record FixedLayerSkip(Set<Integer> layers, int warmupTokens) implements GatePolicy {

    public FixedLayerSkip {
        layers = Collections.unmodifiableSortedSet(new TreeSet<>(layers));
        if (warmupTokens < 0) throw new IllegalArgumentException("warmupTokens must be >= 0, was " + warmupTokens);
        for (int l : layers) if (l < 0) throw new IllegalArgumentException("layer indices must be >= 0, was " + l);
    }

    /**
     * The {@code round(ratio x numLayers)} layers centred on the middle of the stack, so that the first and last layers
     * stay dense like the adaptive gate keeps them.
     */
    public static FixedLayerSkip middleLayers(int numLayers, double ratio, int warmupTokens) {
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("skip ratio must be in [0, 1), was " + ratio);
        int count = (int) Math.round(ratio * numLayers);
        int start = (numLayers - count) / 2;
        Set<Integer> layers = new TreeSet<>();
        for (int l = start; l < start + count; l++) layers.add(l);
        return new FixedLayerSkip(layers, warmupTokens);
    }

    @Override
    public FfnGate newGate(int numLayers) {
        return new LayerSetGate(layers, numLayers, LayerAction.SKIP_FFN, warmupTokens);
    }

    @Override
    public int denseWarmupSteps() {
        return warmupTokens;
    }

    @Override
    public boolean mayDeviateFromDense() {
        return !layers.isEmpty();
    }

    @Override
    public String describe() {
        return "fixed ffn skip layers=" + layers + " warmup=" + warmupTokens;
    }
}

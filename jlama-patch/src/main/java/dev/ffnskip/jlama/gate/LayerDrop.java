package dev.ffnskip.jlama.gate;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Baseline: whole layers (attention and FFN) are skipped at every decode step after warm-up, the way layer-dropping and
 * early-exit methods save compute. The dropped layers' KV entries are filled from the hidden state that skips them
 * (the "exit state"), as early-exit methods do, so the cache stays usable for later tokens.
 */
public record LayerDrop(Set<Integer> layers, int warmupTokens) implements GatePolicy {

    public LayerDrop {
        layers = Collections.unmodifiableSortedSet(new TreeSet<>(layers));
        if (warmupTokens < 0) throw new IllegalArgumentException("warmupTokens must be >= 0, was " + warmupTokens);
    }

    /**
     * Early exit: the last {@code round(ratio x skippable)} layers before the {@code protectLast} final layers are dropped,
     * i.e. the token exits the middle of the stack and only the final layers run again.
     */
    public static LayerDrop earlyExit(int numLayers, double ratio, int protectLast, int warmupTokens) {
        int count = (int) Math.round(ratio * numLayers);
        int end = numLayers - protectLast;
        Set<Integer> layers = new TreeSet<>();
        for (int l = Math.max(0, end - count); l < end; l++) layers.add(l);
        return new LayerDrop(layers, warmupTokens);
    }

    @Override
    public FfnGate newGate(int numLayers) {
        return new LayerSetGate(layers, numLayers, LayerAction.DROP_LAYER, warmupTokens);
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
        return "layer drop layers=" + layers + " warmup=" + warmupTokens;
    }
}

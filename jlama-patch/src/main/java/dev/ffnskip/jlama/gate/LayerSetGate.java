package dev.ffnskip.jlama.gate;

import java.util.BitSet;
import java.util.Set;

/** A gate that applies one action to a fixed set of layers at every decode step after warm-up. */
final class LayerSetGate implements FfnGate {
    private final BitSet layers;
    private final LayerAction action;
    private final int warmupTokens;
    private boolean gated;

    LayerSetGate(Set<Integer> layers, int numLayers, LayerAction action, int warmupTokens) {
        this.layers = new BitSet(numLayers);
        for (int l : layers) {
            if (l < 0 || l >= numLayers) throw new IllegalArgumentException("layer " + l + " does not exist in a " + numLayers + "-layer model");
            this.layers.set(l);
        }
        this.action = action;
        this.warmupTokens = warmupTokens;
    }

    @Override
    public void beginStep(int step) {
        gated = step >= warmupTokens;
    }

    @Override
    public LayerAction action(int layer) {
        return gated && layers.get(layer) ? action : LayerAction.COMPUTE;
    }
}

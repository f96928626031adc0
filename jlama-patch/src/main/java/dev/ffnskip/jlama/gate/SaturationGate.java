package dev.ffnskip.jlama.gate;

/** The gate of {@link SkipPolicy}: a sticky per-token saturation trigger with protected layers, warm-up and a cap. */
final class SaturationGate implements FfnGate {
    private final float[] thresholds;
    private final boolean[] skippable;
    private final int warmupTokens;
    private final int maxSkips;

    private boolean gated;
    private boolean saturated;
    private int skips;

    SaturationGate(SkipPolicy policy, int numLayers) {
        this.thresholds = new float[numLayers];
        this.skippable = new boolean[numLayers];
        for (int l = 0; l < numLayers; l++) {
            // Compare in float like the float32 reference does; +Infinity stays +Infinity and never triggers.
            thresholds[l] = (float) policy.thresholdFor(l);
            skippable[l] = l >= policy.protectFirst() && l < numLayers - policy.protectLast();
        }
        this.warmupTokens = policy.warmupTokens();
        this.maxSkips = policy.maxSkipPerToken(numLayers);
    }

    @Override
    public void beginStep(int step) {
        gated = step >= warmupTokens;
        saturated = false;
        skips = 0;
    }

    @Override
    public LayerAction action(int layer) {
        if (gated && saturated && skippable[layer] && skips < maxSkips) {
            skips++;
            return LayerAction.SKIP_FFN;
        }
        return LayerAction.COMPUTE;
    }

    @Override
    public void observe(int layer, float cosine, float ffnToResidualNorm) {
        if (cosine >= thresholds[layer]) saturated = true;
    }
}

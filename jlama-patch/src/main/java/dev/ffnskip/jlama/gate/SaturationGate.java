package dev.ffnskip.jlama.gate;

/**
 * The saturation gate of {@link PaperGatePolicy} and {@link LayerwiseSkipPolicy}: per token, a computed FFN whose cosine
 * reaches its layer's threshold saturates the token, and then the following skippable layers skip their FFN, at most
 * {@code maxSkips} per token, after {@code warmupTokens} dense steps. Sticky (the paper's trigger): the token stays
 * saturated; not sticky: a computed FFN below its threshold clears the saturation again.
 */
final class SaturationGate implements FfnGate {
    private final float[] thresholds;
    private final boolean[] skippable;
    private final int warmupTokens;
    private final int maxSkips;
    private final boolean sticky;

    private boolean gated;
    private boolean saturated;
    private int skips;

    SaturationGate(float[] thresholds, boolean[] skippable, int warmupTokens, int maxSkips, boolean sticky) {
        this.thresholds = thresholds;
        this.skippable = skippable;
        this.warmupTokens = warmupTokens;
        this.maxSkips = maxSkips;
        this.sticky = sticky;
    }

    /** The paper's gate: one threshold (or per-layer ones), the middle layers skippable, sticky. */
    static SaturationGate of(PaperGatePolicy policy, int numLayers) {
        float[] thresholds = new float[numLayers];
        boolean[] skippable = new boolean[numLayers];
        for (int l = 0; l < numLayers; l++) {
            // Compare in float like the float32 reference does; +Infinity stays +Infinity and never triggers.
            thresholds[l] = (float) policy.thresholdFor(l);
            skippable[l] = l >= policy.protectFirst() && l < numLayers - policy.protectLast();
        }
        return new SaturationGate(thresholds, skippable, policy.warmupTokens(), policy.maxSkipPerToken(numLayers), true);
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
        else if (!sticky) saturated = false;
    }
}

package dev.ffnskip.eval.run;

import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.util.Locale;

/** The evaluation modes and the gate policies they run. */
public final class Policies {
    private Policies() {}

    public enum Mode {
        DENSE,
        SKIP,
        RANDOM,
        LAYERDROP;

        public static Mode parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT).replace("-", "").replace("_", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown mode '" + s + "', expected dense, skip, random or layerdrop");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The paper's single-threshold gate (protect 2+2, warm-up 2, no cap) at threshold {@code t}. */
    public static PaperGatePolicy paper(double threshold) {
        return PaperGatePolicy.paperDefault().toBuilder().threshold(threshold).build();
    }

    /**
     * Random FFN skip whose expected skip share over the gated (post-warm-up) decode steps is {@code ratio} of all
     * layers, skipping only outside the protected layers.
     */
    public static RandomFfnSkip random(double ratio, int numLayers, int protectFirst, int protectLast, int warmup, long seed) {
        int skippable = numLayers - protectFirst - protectLast;
        if (ratio * numLayers > skippable + 1e-9) {
            throw new IllegalArgumentException("cannot skip " + ratio + " of " + numLayers + " layers with only " + skippable + " unprotected");
        }
        return RandomFfnSkip.forRatio(ratio, numLayers, protectFirst, protectLast, warmup, seed);
    }

    public static MatchedEarlyExit layerDrop(double ratio, int protectFirst, int protectLast, int warmup) {
        return new MatchedEarlyExit(ratio, protectFirst, protectLast, warmup);
    }
}

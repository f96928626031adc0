package dev.ffnskip.jlama.gate;

import java.util.List;
import java.util.Objects;

/**
 * The adaptive FFN-SkipLLM gate (arXiv 2404.03865), as an immutable, validated configuration.
 *
 * <p>Per decoded token the layers are walked in order. Every computed FFN measures cos(h_mid, h_out) between the
 * residual stream entering the FFN sub-block and leaving it. Once any computed FFN of the token (protected layers
 * included) reaches its threshold the token is <em>saturated</em>: every later non-protected layer skips its FFN, until
 * {@code floor(maxSkipFraction x layers)} FFNs were skipped for that token. Attention always runs, so the KV cache stays
 * complete. The first {@code protectFirst} and last {@code protectLast} layers always compute; the first
 * {@code warmupTokens} decode steps are dense; the prompt (prefill) is always dense.
 *
 * @param enabled false means the stock dense computation, whatever the other values are
 * @param threshold cosine at or above which a token saturates, in (0, 1]
 * @param protectFirst number of leading layers whose FFN always runs, &gt;= 0
 * @param protectLast number of trailing layers whose FFN always runs, &gt;= 0
 * @param warmupTokens number of initial decode steps that run fully dense, &gt;= 0
 * @param maxSkipFraction cap on FFNs skipped per token as a fraction of all layers, in [0, 1]; 1 = no cap
 * @param layerThresholds optional per-layer thresholds (empty = {@code threshold} everywhere); when present it has
 *     one entry per layer, each in (0, 1] or {@link Double#POSITIVE_INFINITY} for a layer that never saturates a token
 */
public record PaperGatePolicy(
    boolean enabled,
    double threshold,
    int protectFirst,
    int protectLast,
    int warmupTokens,
    double maxSkipFraction,
    List<Double> layerThresholds
) implements GatePolicy {

    public static final double DEFAULT_THRESHOLD = 0.98;
    public static final int DEFAULT_PROTECT_FIRST = 2;
    public static final int DEFAULT_PROTECT_LAST = 2;
    public static final int DEFAULT_WARMUP_TOKENS = 2;
    public static final double NO_CAP = 1.0;

    public PaperGatePolicy {
        if (!(threshold > 0.0 && threshold <= 1.0)) {
            throw new IllegalArgumentException("threshold must be in (0, 1], was " + threshold);
        }
        requireNonNegative("protectFirst", protectFirst);
        requireNonNegative("protectLast", protectLast);
        requireNonNegative("warmupTokens", warmupTokens);
        if (!(maxSkipFraction >= 0.0 && maxSkipFraction <= 1.0)) {
            throw new IllegalArgumentException("maxSkipFraction (the per-token skip cap) must be in [0, 1], was " + maxSkipFraction);
        }
        layerThresholds = List.copyOf(Objects.requireNonNull(layerThresholds, "layerThresholds"));
        requireThresholds("layerThresholds", layerThresholds);
    }

    /** Each cosine threshold must be in (0, 1] or +Infinity (a layer that never saturates a token). */
    static void requireThresholds(String name, List<Double> thresholds) {
        for (int i = 0; i < thresholds.size(); i++) {
            double t = thresholds.get(i);
            if (!(t > 0.0 && t <= 1.0) && t != Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(name + "[" + i + "] must be in (0, 1] or +Infinity, was " + t);
            }
        }
    }

    private static void requireNonNegative(String name, int value) {
        if (value < 0) throw new IllegalArgumentException(name + " must be >= 0, was " + value);
    }

    /** The paper's policy with the parameters this project measured on skipbench-28m: 0.98, protect 2+2, warm-up 2, no cap. */
    public static PaperGatePolicy paperDefault() {
        return builder().build();
    }

    /** Skipping switched off: the stock dense computation. */
    public static PaperGatePolicy disabled() {
        return builder().enabled(false).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
            .enabled(enabled)
            .threshold(threshold)
            .protectFirst(protectFirst)
            .protectLast(protectLast)
            .warmupTokens(warmupTokens)
            .maxSkipFraction(maxSkipFraction)
            .layerThresholds(layerThresholds);
    }

    /** Checks the depth-dependent constraints; throws {@link IllegalArgumentException} naming the problem. */
    public void validateFor(int numLayers) {
        if (protectFirst + protectLast >= numLayers) {
            throw new IllegalArgumentException(
                "protected layers (protectFirst " + protectFirst + " + protectLast " + protectLast + ") must be fewer than the model's "
                    + numLayers + " layers"
            );
        }
        if (!layerThresholds.isEmpty() && layerThresholds.size() != numLayers) {
            throw new IllegalArgumentException(
                "layerThresholds has " + layerThresholds.size() + " entries but the model has " + numLayers + " layers"
            );
        }
    }

    /** FFNs a token may skip at most on a model with {@code numLayers} layers. */
    public int maxSkipPerToken(int numLayers) {
        return (int) Math.floor(maxSkipFraction * numLayers + 1e-9);
    }

    /** The threshold that applies to {@code layer}. */
    public double thresholdFor(int layer) {
        return layerThresholds.isEmpty() ? threshold : layerThresholds.get(layer);
    }

    @Override
    public FfnGate newGate(int numLayers) {
        if (!enabled) return DenseGate.INSTANCE;
        validateFor(numLayers);
        return SaturationGate.of(this, numLayers);
    }

    @Override
    public int denseWarmupSteps() {
        return enabled ? warmupTokens : 0;
    }

    @Override
    public boolean mayDeviateFromDense() {
        return enabled;
    }

    @Override
    public String describe() {
        if (!enabled) return "skip disabled (dense)";
        return "ffn-skip thr=" + (layerThresholds.isEmpty() ? String.valueOf(threshold) : "per-layer")
            + " protect=" + protectFirst + "+" + protectLast
            + " warmup=" + warmupTokens
            + (maxSkipFraction < NO_CAP ? " cap=" + maxSkipFraction : "");
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private boolean enabled = true;
        private double threshold = DEFAULT_THRESHOLD;
        private int protectFirst = DEFAULT_PROTECT_FIRST;
        private int protectLast = DEFAULT_PROTECT_LAST;
        private int warmupTokens = DEFAULT_WARMUP_TOKENS;
        private double maxSkipFraction = NO_CAP;
        private List<Double> layerThresholds = List.of();

        private Builder() {}

        public Builder enabled(boolean enabled) {
            this.enabled = enabled;
            return this;
        }

        public Builder threshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        public Builder protectFirst(int protectFirst) {
            this.protectFirst = protectFirst;
            return this;
        }

        public Builder protectLast(int protectLast) {
            this.protectLast = protectLast;
            return this;
        }

        public Builder warmupTokens(int warmupTokens) {
            this.warmupTokens = warmupTokens;
            return this;
        }

        public Builder maxSkipFraction(double maxSkipFraction) {
            this.maxSkipFraction = maxSkipFraction;
            return this;
        }

        public Builder layerThresholds(List<Double> layerThresholds) {
            this.layerThresholds = layerThresholds;
            return this;
        }

        public PaperGatePolicy build() {
            return new PaperGatePolicy(enabled, threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction, layerThresholds);
        }
    }
}

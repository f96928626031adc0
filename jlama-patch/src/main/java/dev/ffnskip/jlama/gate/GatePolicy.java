package dev.ffnskip.jlama.gate;

/**
 * An immutable description of how decode steps choose {@link LayerAction}s; creates a fresh {@link FfnGate} per
 * generation. {@link PaperGatePolicy} is the paper's FFN-SkipLLM gate, {@link LayerwiseSkipPolicy} the calibrated layerwise
 * gate, {@link ChannelSkipPolicy} channel skipping; the eval harness adds its baselines.
 */
public interface GatePolicy {
    /** A new gate for one generation on a model with {@code numLayers} decoder layers; validates the policy against it. */
    FfnGate newGate(int numLayers);

    /** Whether any layer may ever do something other than {@link LayerAction#COMPUTE}. */
    boolean mayDeviateFromDense();

    /** Whether its gates read the FFN cosine signal ({@link FfnGate#observe}); only then is it computed. */
    default boolean readsSignal() {
        return mayDeviateFromDense();
    }

    /** A short human-readable description, e.g. for logs and reports. */
    String describe();

    /** Decode steps at the start of each generation that this policy always runs dense (its warm-up). */
    default int denseWarmupSteps() {
        return 0;
    }

    /** The stock computation: every layer computes everything. */
    GatePolicy DENSE = new GatePolicy() {
        @Override
        public FfnGate newGate(int numLayers) {
            return DenseGate.INSTANCE;
        }

        @Override
        public boolean mayDeviateFromDense() {
            return false;
        }

        @Override
        public String describe() {
            return "dense";
        }

        @Override
        public String toString() {
            return describe();
        }
    };
}

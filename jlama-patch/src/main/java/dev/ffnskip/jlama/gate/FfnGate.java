package dev.ffnskip.jlama.gate;

/**
 * The per-generation decision maker for one decode: created by a {@link GatePolicy} for each request, used from a
 * single thread, never during prefill.
 *
 * <p>For each decode step the model calls {@link #beginStep(int)}, then walks the layers in order asking
 * {@link #action(int)} and, for every layer whose FFN was computed, reporting the signal via {@link #observe}.
 * Implementations must not allocate on these calls: they run once per layer per token.
 */
public interface FfnGate {
    /** Starts decode step {@code step} (0 = the forward of the token produced by the prefill). */
    void beginStep(int step);

    /** The action for {@code layer} of the current step. Called exactly once per layer, in layer order. */
    LayerAction action(int layer);

    /**
     * Reports a computed FFN of the current step.
     *
     * @param cosine cos(h_mid, h_out): the residual stream entering the FFN sub-block vs leaving it
     * @param ffnToResidualNorm |h_out - h_mid| / |h_mid|: the FFN update's size relative to the residual stream
     */
    default void observe(int layer, float cosine, float ffnToResidualNorm) {
        // a gate that decides without the signal ignores it
    }

    /**
     * For a layer whose FFN is computed this step: the magnitude below which its input channels (after the norm) are
     * dropped; 0 keeps all (the stock dense FFN). See {@link ChannelSkipPolicy}.
     */
    default float inputThreshold(int layer) {
        return 0f;
    }

    /** Like {@link #inputThreshold}, for the intermediate channels {@code silu(gate) * up}. */
    default float intermediateThreshold(int layer) {
        return 0f;
    }

    /** What the channel thresholds are compared with. */
    default ChannelCriterion channelCriterion() {
        return ChannelCriterion.MAGNITUDE;
    }
}

package dev.ffnskip.jlama.gate;

/** What one decoder layer does for the current token. */
public enum LayerAction {
    /** Attention and FFN both run (the stock computation). */
    COMPUTE,
    /** Attention runs (its K/V go into the cache); the FFN is skipped, so the layer output is the post-attention residual. */
    SKIP_FFN,
    /**
     * The whole layer is skipped, as in layer dropping / early exit: the hidden state passes through unchanged and this
     * layer's K/V entry is filled from that (exit) state so later tokens still find a complete cache. Baseline only.
     */
    DROP_LAYER
}

package dev.ffnskip.jlama.model;

/** Sees the FFN activations of single-token forwards, for calibrating channel thresholds (see {@link GatedLlamaModel#setChannelProbe}). */
@FunctionalInterface
public interface ChannelProbe {
    /**
     * @param x the FFN input after the norm ({@code hidden} values; do not keep the array)
     * @param intermediate {@code silu(gate) * up} before any intermediate cut ({@code intermediate} values; do not keep)
     * @param residualNorm |h_mid|, the norm of the residual stream the FFN output is added to
     */
    void sample(int layer, float[] x, float[] intermediate, double residualNorm);
}

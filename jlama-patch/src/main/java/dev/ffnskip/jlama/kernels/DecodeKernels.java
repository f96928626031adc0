package dev.ffnskip.jlama.kernels;

import java.util.Locale;

/**
 * Which matmul kernels a model's single-token (decode) products run on. Prefill (several rows at once) always runs
 * Jlama's kernels.
 */
public enum DecodeKernels {
    /**
     * Our native Q4 x I8 kernel ({@link NativeQ4Kernel}) for every Q4 weight of the model, including the output head
     * (whose input is then quantized to I8 like every other matmul input), where the build and the CPU provide it;
     * Jlama's kernels otherwise. The default.
     */
    NATIVE,
    /** Jlama's own kernels throughout: gate-off decoding is token-for-token stock Jlama (the parity path). */
    STOCK;

    static final String PROPERTY = "ffnskip.kernels";

    /** {@code -Dffnskip.kernels=native|stock}, or {@code FFNSKIP_KERNELS}; {@link #NATIVE} when neither is set. */
    public static DecodeKernels configured() {
        return parse(System.getProperty(PROPERTY, System.getenv("FFNSKIP_KERNELS")));
    }

    static DecodeKernels parse(String value) {
        if (value == null || value.isBlank()) return NATIVE;
        try {
            return valueOf(value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + " / FFNSKIP_KERNELS must be 'native' or 'stock', was '" + value + "'");
        }
    }
}

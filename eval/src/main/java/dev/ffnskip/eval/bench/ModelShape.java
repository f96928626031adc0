package dev.ffnskip.eval.bench;

import java.util.Locale;

/**
 * The shape of a Llama-architecture model, enough to generate one with random weights and to count the bytes a decode
 * step reads.
 *
 * @param contextLength positions of the generated config (kept small: speed does not depend on it, memory does)
 */
public record ModelShape(
    String name,
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int vocab,
    boolean tiedEmbeddings,
    double ropeTheta,
    int contextLength
) {
    /** Llama-3.2-1B: hidden 2048, intermediate 8192, 16 layers, 32 heads, 8 KV heads, vocab 128256, tied embeddings. */
    public static final ModelShape LLAMA_3_2_1B = new ModelShape("llama-3.2-1b", 2048, 8192, 16, 32, 8, 128256, true, 500000, 2048);
    /** Llama-3.2-3B: hidden 3072, intermediate 8192, 28 layers, 24 heads, 8 KV heads, vocab 128256, tied embeddings. */
    public static final ModelShape LLAMA_3_2_3B = new ModelShape("llama-3.2-3b", 3072, 8192, 28, 24, 8, 128256, true, 500000, 2048);
    /** A few-megabyte shape with the same structure, for tests. */
    public static final ModelShape TINY = new ModelShape("tiny", 256, 512, 4, 4, 2, 1024, true, 10000, 512);

    public static ModelShape named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "llama-3.2-1b" -> LLAMA_3_2_1B;
            case "llama-3.2-3b" -> LLAMA_3_2_3B;
            case "tiny" -> TINY;
            default -> throw new IllegalArgumentException("Unknown shape '" + name + "'; known: llama-3.2-1b, llama-3.2-3b, tiny");
        };
    }

    public int headSize() {
        return hidden / heads;
    }

    public int kvWidth() {
        return kvHeads * headSize();
    }

    /** Parameters of one layer's attention projections (q, k, v, o). */
    public long attentionParameters() {
        return 2L * hidden * hidden + 2L * kvWidth() * hidden;
    }

    /** Parameters of one layer's FFN (gate, up, down). */
    public long ffnParameters() {
        return 3L * hidden * intermediate;
    }

    public long outputHeadParameters() {
        return (long) vocab * hidden;
    }
}

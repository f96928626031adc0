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

    /** Jlama Q4: 4-bit weights plus one float32 scale per block of 32 weights, i.e. 0.625 bytes per weight. */
    public static final double Q4_BYTES_PER_WEIGHT = 0.5 + 4.0 / 32;

    /**
     * What one decode step reads, by part, for a model pre-quantized to Jlama Q4 (layers and output head Q4, input
     * embedding BF16, norms float32) with float32 working memory (the KV cache).
     *
     * @param meanContext KV positions read per step, averaged over the measured steps (a step at position p reads p + 1)
     */
    public DecodeTraffic q4DecodeTraffic(double meanContext) {
        // one BF16 embedding row; float32 KV cache
        return decodeTraffic(Q4_BYTES_PER_WEIGHT, 2.0, Float.BYTES, meanContext);
    }

    /** ggml Q4_0: 4-bit weights plus one fp16 scale per block of 32 weights, i.e. 0.5625 bytes per weight. */
    public static final double Q4_0_BYTES_PER_WEIGHT = 18.0 / 32;

    /**
     * What one decode step of llama.cpp reads from the GGUF {@link SyntheticGguf} writes: layers and the tied output
     * head Q4_0, one Q4_0 embedding row, float32 norms, and llama.cpp's default fp16 KV cache at {@code meanContext}
     * positions (llama.cpp pads the attended positions to a multiple of its KV padding, which is not counted).
     */
    public DecodeTraffic ggmlQ4_0DecodeTraffic(double meanContext) {
        return decodeTraffic(Q4_0_BYTES_PER_WEIGHT, Q4_0_BYTES_PER_WEIGHT, 2, meanContext);
    }

    private DecodeTraffic decodeTraffic(double bytesPerWeight, double embeddingBytesPerElement, int kvBytesPerElement, double meanContext) {
        double attention = layers * attentionParameters() * bytesPerWeight;
        double ffn = layers * ffnParameters() * bytesPerWeight;
        double head = outputHeadParameters() * bytesPerWeight;
        double kv = layers * 2.0 * meanContext * kvWidth() * kvBytesPerElement;
        // one embedding row, two float32 norm vectors per layer and the final norm
        double other = hidden * embeddingBytesPerElement + (2.0 * layers + 1) * hidden * Float.BYTES;
        return new DecodeTraffic(attention, ffn, head, kv, other, meanContext);
    }

    /**
     * Bytes read per decoded token, by part.
     *
     * @param meanContext the KV positions the kv figure assumes
     */
    public record DecodeTraffic(double attention, double ffn, double outputHead, double kv, double other, double meanContext) {
        public double total() {
            return attention + ffn + outputHead + kv + other;
        }

        /** The FFN share of the bytes read per decoded token. */
        public double ffnShare() {
            return ffn / total();
        }

        /** {@code 1 / (1 - f x s)}: the decode speedup if time were proportional to bytes read and a fraction s of FFNs is skipped. */
        public double idealSpeedup(double skipRatio) {
            return 1.0 / (1.0 - ffnShare() * skipRatio);
        }
    }
}

package dev.ffnskip.jlama.generate;

/**
 * The outcome of one generation.
 *
 * @param tokenIds the generated ids in order, the end-of-sequence token included when one was produced
 * @param text the generated text: UTF-8 assembled, special tokens dropped, stop sequence cut off
 * @param finishReason why decoding ended
 * @param stats gate decisions and timings
 */
public record GenerationResult(int[] tokenIds, String text, FinishReason finishReason, GenerationStats stats) {
    public int promptTokens() {
        return stats.promptTokens();
    }

    public int generatedTokens() {
        return tokenIds.length;
    }
}

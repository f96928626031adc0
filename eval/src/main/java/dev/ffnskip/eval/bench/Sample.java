package dev.ffnskip.eval.bench;

/**
 * One measured run of one variant: a dense prefill of the prompt (first token's logits included) and a number of
 * greedy decode steps (forward and next-token selection each).
 *
 * @param round the interleaving round it ran in (0-based, warm-up rounds excluded)
 * @param ffnSkipped FFN blocks skipped over all decode steps (0 for stock Jlama)
 * @param layers decoder layers, so that {@code decodeSteps x layers} FFN blocks could have run
 * @param wallNanos the whole call as a client sees it (for the chat model: rendering, tokenizing and response included)
 * @param headNanos of {@code decodeNanos}, the time of the output norm, head matmul and greedy pick ({@code sample});
 *     measured for stock Jlama only, 0 otherwise
 * @param ffnWorkSkipped share of the decode steps' FFN weight reads not done ({@code GenerationStats.ffnWorkSkipped}):
 *     skipped blocks count whole, channel-sparse FFNs by the columns not read; the block skip ratio where only whole
 *     blocks are skipped
 */
public record Sample(int round, long prefillNanos, int promptTokens, long decodeNanos, int decodeSteps, long ffnSkipped, int layers, long wallNanos, long headNanos,
    double ffnWorkSkipped) {

    public Sample(int round, long prefillNanos, int promptTokens, long decodeNanos, int decodeSteps, long ffnSkipped, int layers, long wallNanos, long headNanos) {
        this(round, prefillNanos, promptTokens, decodeNanos, decodeSteps, ffnSkipped, layers, wallNanos, headNanos, blockShare(ffnSkipped, decodeSteps, layers));
    }

    public Sample(int round, long prefillNanos, int promptTokens, long decodeNanos, int decodeSteps, long ffnSkipped, int layers, long wallNanos) {
        this(round, prefillNanos, promptTokens, decodeNanos, decodeSteps, ffnSkipped, layers, wallNanos, 0);
    }

    public double decodeTokensPerSecond() {
        return decodeSteps == 0 || decodeNanos == 0 ? Double.NaN : decodeSteps / (decodeNanos / 1e9);
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? Double.NaN : promptTokens / (prefillNanos / 1e9);
    }

    public double skipRatio() {
        return blockShare(ffnSkipped, decodeSteps, layers);
    }

    private static double blockShare(long ffnSkipped, int decodeSteps, int layers) {
        long total = (long) decodeSteps * layers;
        return total == 0 ? 0.0 : (double) ffnSkipped / total;
    }
}

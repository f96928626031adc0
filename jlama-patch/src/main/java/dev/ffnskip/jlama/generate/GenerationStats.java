package dev.ffnskip.jlama.generate;

import java.util.Arrays;
import java.util.List;

/**
 * What the gate did during one generation, and how long it took.
 *
 * <p>Counting follows the FFN-SkipLLM reference: a decode step is one single-token forward (the prompt's prefill is
 * not one), and the skip ratio is skipped FFN blocks over {@code decodeSteps x layers}, warm-up steps included.
 *
 * @param layers number of decoder layers
 * @param promptTokens tokens in the prompt (run densely in the prefill)
 * @param decodeSteps single-token forwards that ran
 * @param ffnComputedPerLayer decode steps in which each layer's FFN ran
 * @param ffnSkippedPerLayer decode steps in which each layer's FFN was skipped
 * @param layersDroppedPerLayer decode steps in which each whole layer was dropped (baselines only)
 * @param skippedPerStep FFNs skipped at each decode step
 * @param steps per-step details when requested, else empty
 * @param prefillNanos time of the prefill, first token's logits included
 * @param decodeNanos time of all decode steps, sampling included
 * @param ffnWorkSkipped share of the decode steps' FFN weight reads not done: skipped FFN blocks count whole,
 *     channel-sparse FFNs by the columns they did not read ({@code ChannelSkipPolicy}); equals {@link #skipRatio()}
 *     when only whole blocks are skipped
 */
public record GenerationStats(
    int layers,
    int promptTokens,
    int decodeSteps,
    long[] ffnComputedPerLayer,
    long[] ffnSkippedPerLayer,
    long[] layersDroppedPerLayer,
    int[] skippedPerStep,
    List<StepRecord> steps,
    long prefillNanos,
    long decodeNanos,
    double ffnWorkSkipped
) {
    /** One decode step: the layers whose FFN was skipped (ascending) and each layer's cosine, NaN where not computed. */
    public record StepRecord(int[] skippedLayers, float[] cosines) {}

    public long ffnSkipped() {
        return Arrays.stream(ffnSkippedPerLayer).sum();
    }

    public long ffnComputed() {
        return Arrays.stream(ffnComputedPerLayer).sum();
    }

    public long layersDropped() {
        return Arrays.stream(layersDroppedPerLayer).sum();
    }

    /** FFN blocks the decode steps could have run: {@code decodeSteps x layers}. */
    public long ffnTotal() {
        return (long) decodeSteps * layers;
    }

    /** Skipped FFN blocks over all decode FFN blocks; 0 without decode steps. */
    public double skipRatio() {
        long total = ffnTotal();
        return total == 0 ? 0.0 : (double) ffnSkipped() / total;
    }

    public double prefillMillis() {
        return prefillNanos / 1e6;
    }

    public double decodeMillis() {
        return decodeNanos / 1e6;
    }

    /** Decode steps per second of decode time (each step yields one token); NaN without decode steps. */
    public double decodeTokensPerSecond() {
        return decodeSteps == 0 || decodeNanos == 0 ? Double.NaN : decodeSteps / (decodeNanos / 1e9);
    }

    /** Prompt tokens per second of prefill time. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? Double.NaN : promptTokens / (prefillNanos / 1e9);
    }
}

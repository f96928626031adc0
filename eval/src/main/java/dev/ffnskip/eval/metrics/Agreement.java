package dev.ffnskip.eval.metrics;

/**
 * How a greedy token sequence compares with the dense one for the same prompt.
 *
 * @param matching positions {@code i < min(len)} holding the same token in both sequences
 * @param length {@code max(len(dense), len(other))}
 * @param firstDivergence first position where the sequences differ (a missing token counts as different), or -1
 */
public record Agreement(int matching, int length, int firstDivergence) {

    public static Agreement compare(int[] dense, int[] other) {
        int common = Math.min(dense.length, other.length);
        int matching = 0;
        int first = -1;
        for (int i = 0; i < common; i++) {
            if (dense[i] == other[i]) matching++;
            else if (first < 0) first = i;
        }
        if (first < 0 && dense.length != other.length) first = common;
        return new Agreement(matching, Math.max(dense.length, other.length), first);
    }

    /** Fraction of positions with identical tokens; 1 for two empty sequences. */
    public double tokenAgreement() {
        return length == 0 ? 1.0 : (double) matching / length;
    }

    public boolean identical() {
        return firstDivergence < 0;
    }
}

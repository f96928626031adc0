package dev.ffnskip.eval.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Answer comparison as the shared data defines it: lower case, punctuation removed, white space collapsed and stripped;
 * plus SQuAD-style token F1 and ROUGE-L (LCS-based F1) over the normalised tokens.
 */
public final class TextMetrics {
    /** ASCII punctuation (Python's string.punctuation) and every Unicode punctuation character. */
    private static final Pattern PUNCTUATION = Pattern.compile("[\\p{Punct}\\p{IsPunctuation}]");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private TextMetrics() {}

    public static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        String noPunct = PUNCTUATION.matcher(lower).replaceAll("");
        return WHITESPACE.matcher(noPunct).replaceAll(" ").strip();
    }

    public static List<String> tokens(String text) {
        String n = normalize(text);
        return n.isEmpty() ? List.of() : List.of(n.split(" "));
    }

    public static boolean exactMatch(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference));
    }

    /** SQuAD token F1: bag-of-tokens overlap of the normalised texts; 1 when both are empty. */
    public static double tokenF1(String prediction, String reference) {
        List<String> p = tokens(prediction);
        List<String> r = tokens(reference);
        if (p.isEmpty() || r.isEmpty()) return p.isEmpty() && r.isEmpty() ? 1.0 : 0.0;
        Map<String, Integer> counts = new HashMap<>();
        for (String t : r) counts.merge(t, 1, Integer::sum);
        int common = 0;
        for (String t : p) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                common++;
                counts.put(t, c - 1);
            }
        }
        if (common == 0) return 0.0;
        double precision = (double) common / p.size();
        double recall = (double) common / r.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Length of the longest common subsequence of two token lists (dynamic programming, O(n m) time, O(m) memory). */
    public static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    /**
     * ROUGE-L F1 (beta = 1) of a candidate against one reference over normalised tokens:
     * P = LCS / |candidate|, R = LCS / |reference|, F = 2PR / (P + R); 0 when either side is empty or LCS is 0.
     */
    public static double rougeL(String candidate, String reference) {
        List<String> c = tokens(candidate);
        List<String> r = tokens(reference);
        if (c.isEmpty() && r.isEmpty()) return 1.0; // two answers with no words (e.g. only an end token) agree
        if (c.isEmpty() || r.isEmpty()) return 0.0;
        int lcs = lcsLength(c, r);
        if (lcs == 0) return 0.0;
        double p = (double) lcs / c.size();
        double rec = (double) lcs / r.size();
        return 2 * p * rec / (p + rec);
    }
}

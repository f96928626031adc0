package dev.ffnskip.eval.task;

import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.GenerationStats;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one item produced under one gate policy: the generated ids and texts (one per turn; for perplexity the
 * teacher-forced argmax ids), the task scores and the gate counters summed over the item's decodes.
 */
public final class ItemResult {
    public final String id;
    public final String kind;
    public final List<int[]> tokens = new ArrayList<>();
    public final List<String> texts = new ArrayList<>();
    public final Map<String, Double> scores = new LinkedHashMap<>();
    public long decodeSteps;
    public long gatedSteps;
    public long ffnSkipped;
    public long layersDropped;
    public long ffnTotal;
    public long decodeNanos;
    public long prefillNanos;
    public long promptTokens;

    public ItemResult(String id, String kind) {
        this.id = id;
        this.kind = kind;
    }

    /** Adds one decode's counters; {@code warmup} is the policy's number of dense initial decode steps. */
    public void add(GenerationStats s, int warmup) {
        decodeSteps += s.decodeSteps();
        gatedSteps += Math.max(0, s.decodeSteps() - warmup);
        ffnSkipped += s.ffnSkipped();
        layersDropped += s.layersDropped();
        ffnTotal += s.ffnTotal();
        decodeNanos += s.decodeNanos();
        prefillNanos += s.prefillNanos();
        promptTokens += s.promptTokens();
    }

    /** Adds one generated turn: its ids and text, and its counters. */
    public void addTurn(GenerationResult g, int warmup) {
        tokens.add(g.tokenIds());
        texts.add(g.text());
        add(g.stats(), warmup);
    }

    public void score(String name, double value) {
        scores.put(name, value);
    }

    public double score(String name) {
        Double v = scores.get(name);
        if (v == null) throw new IllegalStateException("item " + id + " has no score " + name);
        return v;
    }

    /** All generated ids of all turns, concatenated (what agreement compares). */
    public int[] allTokens() {
        int n = tokens.stream().mapToInt(t -> t.length).sum();
        int[] out = new int[n];
        int k = 0;
        for (int[] t : tokens) {
            System.arraycopy(t, 0, out, k, t.length);
            k += t.length;
        }
        return out;
    }
}

package dev.ffnskip.jlama.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from a session's logits: greedy, or temperature sampling with optional top-k / top-p. */
final class Sampler {
    private final GenerationRequest request;
    private final SplittableRandom random;
    private float[] logits;
    private Integer[] order;

    Sampler(GenerationRequest request) {
        this.request = request;
        this.random = request.seed() == null ? new SplittableRandom() : new SplittableRandom(request.seed());
    }

    int next(DecodeSession session) {
        if (request.greedy()) return session.argmax();
        int n = session.vocabularySize();
        if (logits == null) {
            logits = new float[n];
            order = new Integer[n];
        }
        session.copyLogits(logits);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double[] weights = new double[n];
        for (int i = 0; i < n; i++) weights[i] = Math.exp((logits[i] - max) / request.temperature());
        if (request.topK() != null || request.topP() != null) truncate(weights, n);
        double total = 0;
        for (double w : weights) total += w;
        double target = random.nextDouble() * total;
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += weights[i];
            if (acc >= target && weights[i] > 0) return i;
        }
        return session.argmax();
    }

    /** Zeroes the weights outside the top-k tokens and outside the top-p probability mass. */
    private void truncate(double[] weights, int n) {
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(weights[b], weights[a]));
        double total = 0;
        for (double w : weights) total += w;
        int keep = request.topK() == null ? n : Math.min(n, request.topK());
        if (request.topP() != null) {
            double mass = 0;
            int within = 0;
            while (within < keep) {
                mass += weights[order[within]] / total;
                within++;
                if (mass >= request.topP()) break;
            }
            keep = within;
        }
        for (int i = keep; i < n; i++) weights[order[i]] = 0;
    }
}

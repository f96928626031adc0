package dev.ffnskip.jlama.gate;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A calibrated, per-layer variant of the FFN-SkipLLM gate.
 *
 * <p>Per decoded token the layers are walked in order. A computed FFN of layer {@code l} whose
 * cos(h_mid, h_out) reaches {@code cosineThresholds[l]} saturates the token (sticky for the rest of the token, as in
 * the paper); from then on the FFN of every later layer in {@code skipLayers} is skipped, at most
 * {@code maxSkipsPerToken} per token. Attention always runs. The first {@code warmupTokens} decode steps and the
 * prefill are dense.
 *
 * <p>The differences to {@link PaperGatePolicy}: the thresholds are per layer (a layer whose cosines are high for every
 * token needs a higher bar than one whose cosines are usually low; {@code +Infinity} = the layer never saturates a
 * token), and the skippable layers are an explicit set instead of a contiguous middle range, so layers whose FFN
 * matters for the output can stay dense while their neighbours skip. Both are chosen by the eval harness's
 * {@code calibrate} command on a calibration split, from dense cosine statistics and measured agreement with dense
 * decoding; no weights are trained.
 *
 * @param numLayers the depth the policy was calibrated for; a model of another depth is rejected
 * @param cosineThresholds one per layer, each in (0, 1] or {@code +Infinity}
 * @param skipLayers layers whose FFN may be skipped once the token is saturated
 * @param warmupTokens initial decode steps that run dense
 * @param maxSkipsPerToken most FFNs skipped per token (&gt;= 0)
 * @param sticky true: once saturated, the token stays saturated (the paper's trigger); false: the saturation state
 *     follows the most recently computed FFN (a computed layer below its threshold clears it), so only layers right
 *     after a high-cosine layer skip
 */
public record LayerwiseSkipPolicy(
    int numLayers,
    List<Double> cosineThresholds,
    Set<Integer> skipLayers,
    int warmupTokens,
    int maxSkipsPerToken,
    boolean sticky
) implements GatePolicy {

    /** The sticky form (the paper's trigger semantics). */
    public LayerwiseSkipPolicy(int numLayers, List<Double> cosineThresholds, Set<Integer> skipLayers, int warmupTokens, int maxSkipsPerToken) {
        this(numLayers, cosineThresholds, skipLayers, warmupTokens, maxSkipsPerToken, true);
    }

    public LayerwiseSkipPolicy {
        if (numLayers < 1) throw new IllegalArgumentException("numLayers must be >= 1, was " + numLayers);
        cosineThresholds = List.copyOf(cosineThresholds);
        if (cosineThresholds.size() != numLayers) {
            throw new IllegalArgumentException("cosineThresholds has " + cosineThresholds.size() + " entries for " + numLayers + " layers");
        }
        PaperGatePolicy.requireThresholds("cosineThresholds", cosineThresholds);
        skipLayers = Collections.unmodifiableSortedSet(new TreeSet<>(skipLayers));
        for (int l : skipLayers) {
            if (l < 0 || l >= numLayers) throw new IllegalArgumentException("skip layer " + l + " outside 0.." + (numLayers - 1));
        }
        if (warmupTokens < 0) throw new IllegalArgumentException("warmupTokens must be >= 0, was " + warmupTokens);
        if (maxSkipsPerToken < 0) throw new IllegalArgumentException("maxSkipsPerToken must be >= 0, was " + maxSkipsPerToken);
    }

    /** The paper's gate expressed in this form: one threshold everywhere, the middle layers skippable. */
    public static LayerwiseSkipPolicy of(PaperGatePolicy p, int numLayers) {
        p.validateFor(numLayers);
        Double[] t = new Double[numLayers];
        Set<Integer> skip = new TreeSet<>();
        for (int l = 0; l < numLayers; l++) {
            t[l] = p.thresholdFor(l);
            if (l >= p.protectFirst() && l < numLayers - p.protectLast()) skip.add(l);
        }
        return new LayerwiseSkipPolicy(numLayers, List.of(t), skip, p.warmupTokens(), p.maxSkipPerToken(numLayers), true);
    }

    @Override
    public FfnGate newGate(int layers) {
        if (layers != numLayers) {
            throw new IllegalArgumentException("policy was calibrated for " + numLayers + " layers but the model has " + layers);
        }
        float[] thresholds = new float[numLayers];
        boolean[] skippable = new boolean[numLayers];
        for (int l = 0; l < numLayers; l++) {
            thresholds[l] = (float) (double) cosineThresholds.get(l);
            skippable[l] = skipLayers.contains(l);
        }
        return new SaturationGate(thresholds, skippable, warmupTokens, maxSkipsPerToken, sticky);
    }

    @Override
    public int denseWarmupSteps() {
        return warmupTokens;
    }

    @Override
    public boolean mayDeviateFromDense() {
        return !skipLayers.isEmpty() && maxSkipsPerToken > 0;
    }

    @Override
    public String describe() {
        return "layerwise ffn-skip skip=" + skipLayers + " warmup=" + warmupTokens + " cap=" + maxSkipsPerToken + (sticky ? "" : " local");
    }
}

package dev.ffnskip.jlama.gate;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-token FFN <em>channel</em> skipping (TEAL's magnitude rule, arXiv 2408.14690, restricted to the FFN): in every
 * decode step, each layer's FFN drops the input channels whose magnitude after the norm is below the layer's input
 * threshold (their columns of the gate and up projections are not read) and the intermediate channels whose
 * magnitude after {@code silu(gate) * up} is below its intermediate threshold (their columns of the down projection
 * are not read). It is the FFN-SkipLLM idea (the FFN's contribution is often negligible: skip it, input-adaptively,
 * token by token, attention always computed, the KV cache complete) at the granularity where it holds on small
 * models. Prefill and the first {@code warmupTokens} decode steps are dense. A threshold of 0 keeps a layer dense.
 *
 * <p>The {@code criterion} says what the thresholds are compared with: the activation's magnitude ({@link
 * ChannelCriterion#MAGNITUDE}, TEAL) or the magnitude times its weight column's norm ({@link ChannelCriterion#WEIGHTED},
 * WINA); thresholds calibrated for one criterion mean nothing for the other.
 *
 * <p>Composable with block skipping: {@code blocks} (optional) decides per layer first; a layer it skips is skipped
 * whole, a layer it computes is computed channel-sparse.
 *
 * @param inputThresholds one per layer, {@code >= 0}
 * @param intermediateThresholds one per layer, {@code >= 0}
 * @param targetSparsity the FFN weight share the calibration aimed to skip (informative)
 * @param criterion what the thresholds are compared with
 */
public record ChannelSkipPolicy(
    List<Double> inputThresholds,
    List<Double> intermediateThresholds,
    int warmupTokens,
    double targetSparsity,
    Optional<GatePolicy> blocks,
    ChannelCriterion criterion
) implements GatePolicy {
    /** A policy on activation magnitudes ({@link ChannelCriterion#MAGNITUDE}). */
    public ChannelSkipPolicy(List<Double> inputThresholds, List<Double> intermediateThresholds, int warmupTokens, double targetSparsity, Optional<GatePolicy> blocks) {
        this(inputThresholds, intermediateThresholds, warmupTokens, targetSparsity, blocks, ChannelCriterion.MAGNITUDE);
    }

    public ChannelSkipPolicy {
        Objects.requireNonNull(criterion, "criterion");
        inputThresholds = List.copyOf(Objects.requireNonNull(inputThresholds, "inputThresholds"));
        intermediateThresholds = List.copyOf(Objects.requireNonNull(intermediateThresholds, "intermediateThresholds"));
        Objects.requireNonNull(blocks, "blocks");
        if (inputThresholds.size() != intermediateThresholds.size()) {
            throw new IllegalArgumentException("input_thresholds has " + inputThresholds.size() + " layers but intermediate_thresholds " + intermediateThresholds.size());
        }
        for (List<Double> list : List.of(inputThresholds, intermediateThresholds)) {
            for (int i = 0; i < list.size(); i++) {
                double t = list.get(i);
                if (!(t >= 0.0) || Double.isInfinite(t)) throw new IllegalArgumentException("channel thresholds must be finite and >= 0, layer " + i + " was " + t);
            }
        }
        if (warmupTokens < 0) throw new IllegalArgumentException("warmupTokens must be >= 0, was " + warmupTokens);
        if (!(targetSparsity >= 0.0 && targetSparsity <= 1.0)) throw new IllegalArgumentException("targetSparsity must be in [0, 1], was " + targetSparsity);
        if (blocks.isPresent() && blocks.get() instanceof ChannelSkipPolicy) throw new IllegalArgumentException("blocks must be a block-skipping policy");
    }

    public int numLayers() {
        return inputThresholds.size();
    }

    @Override
    public FfnGate newGate(int numLayers) {
        if (numLayers != numLayers()) {
            throw new IllegalArgumentException("channel-skip policy has thresholds for " + numLayers() + " layers, the model has " + numLayers);
        }
        FfnGate blockGate = blocks.map(b -> b.newGate(numLayers)).orElse(DenseGate.INSTANCE);
        float[] in = new float[numLayers];
        float[] mid = new float[numLayers];
        for (int l = 0; l < numLayers; l++) {
            in[l] = inputThresholds.get(l).floatValue();
            mid[l] = intermediateThresholds.get(l).floatValue();
        }
        return new FfnGate() {
            private boolean sparse;

            @Override
            public void beginStep(int step) {
                sparse = step >= warmupTokens;
                blockGate.beginStep(step);
            }

            @Override
            public LayerAction action(int layer) {
                return blockGate.action(layer);
            }

            @Override
            public void observe(int layer, float cosine, float ffnToResidualNorm) {
                blockGate.observe(layer, cosine, ffnToResidualNorm);
            }

            @Override
            public float inputThreshold(int layer) {
                return sparse ? in[layer] : 0f;
            }

            @Override
            public float intermediateThreshold(int layer) {
                return sparse ? mid[layer] : 0f;
            }

            @Override
            public ChannelCriterion channelCriterion() {
                return criterion;
            }
        };
    }

    @Override
    public boolean mayDeviateFromDense() {
        return inputThresholds.stream().anyMatch(t -> t > 0) || intermediateThresholds.stream().anyMatch(t -> t > 0) || blocks.map(GatePolicy::mayDeviateFromDense).orElse(false);
    }

    @Override
    public int denseWarmupSteps() {
        return Math.max(warmupTokens, blocks.map(GatePolicy::denseWarmupSteps).orElse(0));
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "channel-skip%s target=%.2f warmup=%d%s", criterion == ChannelCriterion.MAGNITUDE ? "" : " " + criterion.id(), targetSparsity, warmupTokens, blocks.map(b -> " + " + b.describe()).orElse(""));
    }
}

package dev.ffnskip.eval.channel;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.ChannelCriterion;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.kernels.ChannelSparseFfn;
import dev.ffnskip.jlama.model.ChannelProbe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * FFN activations of dense greedy decodes on calibration prompts, per layer: every sampled token's normed FFN input,
 * the magnitudes of its intermediate activations, and the norm of the residual stream the FFN output joins. From
 * them: per-layer thresholds for a sparsity (quantiles of what the criterion compares: the magnitudes, or the
 * magnitudes times their weight columns' norms) and per-layer error curves (how far the channel-sparse FFN output
 * moves, relative to the residual stream, at each sparsity).
 */
public final class ChannelStatistics {
    final int layers;
    final int hidden;
    final int intermediate;
    final ChannelCriterion criterion;
    private final List<float[]>[] inputs;
    private final List<float[]>[] mids;
    private final float[][] inputMagnitudes;
    private final float[][] midMagnitudes;
    private final List<Double>[] residualNorms;

    private ChannelStatistics(int layers, int hidden, int intermediate, List<float[]>[] inputs, List<float[]>[] mids, List<Double>[] norms, ChannelCriterion criterion, FfnSkipModel model) {
        this.layers = layers;
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.criterion = criterion;
        this.inputs = inputs;
        this.mids = mids;
        this.residualNorms = norms;
        this.inputMagnitudes = new float[layers][];
        this.midMagnitudes = new float[layers][];
        for (int l = 0; l < layers; l++) {
            float[] inWeights = new float[hidden];
            float[] midWeights = new float[intermediate];
            java.util.Arrays.fill(inWeights, 1f);
            java.util.Arrays.fill(midWeights, 1f);
            if (criterion == ChannelCriterion.WEIGHTED) {
                ChannelSparseFfn ffn = model.jlama().channelSparseFfn(l);
                for (int j = 0; j < hidden; j++) inWeights[j] = ffn.inputWeight(j);
                for (int i = 0; i < intermediate; i++) midWeights[i] = ffn.intermediateWeight(i);
            }
            inputMagnitudes[l] = sortedMagnitudes(inputs[l], inWeights);
            midMagnitudes[l] = sortedMagnitudes(mids[l], midWeights);
        }
    }

    /** The same samples, with thresholds and errors for {@code c}. */
    ChannelStatistics withCriterion(FfnSkipModel model, ChannelCriterion c) {
        return c == criterion ? this : new ChannelStatistics(layers, hidden, intermediate, inputs, mids, residualNorms, c, model);
    }

    /** Decodes each prompt densely for {@code tokens} steps and samples every single-token FFN (magnitude criterion). */
    @SuppressWarnings("unchecked")
    public static ChannelStatistics collect(FfnSkipModel model, List<int[]> prompts, int tokens) {
        int layers = model.info().layers();
        int hidden = model.info().hiddenSize();
        int intermediate = model.info().intermediateSize();
        List<float[]>[] inputs = new List[layers];
        List<float[]>[] mids = new List[layers];
        List<Double>[] norms = new List[layers];
        for (int l = 0; l < layers; l++) {
            inputs[l] = new ArrayList<>();
            mids[l] = new ArrayList<>();
            norms[l] = new ArrayList<>();
        }
        ChannelProbe probe = (layer, x, a, norm) -> {
            inputs[layer].add(Arrays.copyOf(x, hidden));
            mids[layer].add(Arrays.copyOf(a, intermediate));
            norms[layer].add(norm);
        };
        model.jlama().setChannelProbe(probe);
        try {
            for (int[] prompt : prompts) {
                model.generate(prompt, GenerationRequest.builder().maxNewTokens(tokens).gate(GatePolicy.DENSE).build());
            }
        } finally {
            model.jlama().setChannelProbe(null);
        }
        return new ChannelStatistics(layers, hidden, intermediate, inputs, mids, norms, ChannelCriterion.MAGNITUDE, model);
    }

    /** Single-token FFNs sampled in {@code layer}. */
    public int samples(int layer) {
        return inputs[layer].size();
    }

    /**
     * The baseline allocation: every layer drops the share {@code sparsity} of its sampled input and of its
     * intermediate channels ({@link ChannelAllocation#uniform}), channel skipping from decode step {@code warmup}.
     */
    public ChannelSkipPolicy uniformPolicy(double sparsity, int warmup) {
        return ChannelAllocation.policy(this, ChannelAllocation.uniform(layers, sparsity), sparsity, warmup);
    }

    /** The criterion's value below which a share {@code sparsity} of the layer's sampled input channels fall. */
    float inputThreshold(int layer, double sparsity) {
        return quantile(inputMagnitudes[layer], sparsity);
    }

    float intermediateThreshold(int layer, double sparsity) {
        return quantile(midMagnitudes[layer], sparsity);
    }

    /**
     * Mean over sampled tokens of |ffn_s(x) - ffn_0(x)|^2 / |h_mid|^2: the squared error the layer's channel-sparse FFN
     * adds to the residual stream at {@code sparsity}, relative to the stream's size (at most {@code maxTokens} tokens).
     */
    double relativeError(ChannelSparseFfn ffn, int layer, double sparsity, int maxTokens) {
        return relativeError(ffn, layer, sparsity, sparsity, maxTokens);
    }

    /** {@link #relativeError(ChannelSparseFfn, int, double, int)} with separate input and intermediate sparsities. */
    double relativeError(ChannelSparseFfn ffn, int layer, double inputSparsity, double midSparsity, int maxTokens) {
        float tIn = inputThreshold(layer, inputSparsity);
        float tMid = intermediateThreshold(layer, midSparsity);
        float[] dense = new float[hidden];
        float[] sparse = new float[hidden];
        int n = Math.min(maxTokens, inputs[layer].size());
        double sum = 0;
        boolean weighted = criterion == ChannelCriterion.WEIGHTED;
        for (int t = 0; t < n; t++) {
            float[] x = inputs[layer].get(t);
            ffn.forward(x, 0f, 0f, weighted, dense, null, null);
            ffn.forward(x, tIn, tMid, weighted, sparse, null, null);
            double err = 0;
            for (int j = 0; j < hidden; j++) {
                double d = sparse[j] - dense[j];
                err += d * d;
            }
            double norm = residualNorms[layer].get(t);
            sum += err / Math.max(1e-12, norm * norm);
        }
        return n == 0 ? 0 : sum / n;
    }

    private static float[] sortedMagnitudes(List<float[]> rows, float[] weights) {
        int total = rows.stream().mapToInt(r -> r.length).sum();
        float[] all = new float[total];
        int at = 0;
        for (float[] r : rows) {
            // the same float product the kernel compares (|x_j c_j|), so a quantile drops exactly that share
            for (int k = 0; k < r.length; k++) all[at++] = Math.abs(r[k] * weights[k]);
        }
        Arrays.sort(all);
        return all;
    }

    private static float quantile(float[] sorted, double q) {
        if (q <= 0 || sorted.length == 0) return 0f;
        int i = (int) Math.min(sorted.length - 1, Math.floor(q * sorted.length));
        return sorted[i];
    }
}

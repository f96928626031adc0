package dev.ffnskip.eval.bench;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Thresholds for the bench's channel-skipping variants: per layer, the sorted magnitudes |x_j| of the FFN inputs (after
 * the norm) and |a_i| of the intermediate activations ({@code silu(gate) * up}) that one dense decode showed, so that a
 * sparsity s maps to their s-quantiles (the magnitude rule of {@code eval.channel.ChannelStatistics}, one s for every
 * layer and for input and intermediate alike). Random weights have their own statistics, hence calibration on the
 * bench's own decode rather than thresholds from a real model.
 */
final class ChannelThresholds {
    private final float[][] input;
    private final float[][] intermediate;
    private final int tokens;

    private ChannelThresholds(float[][] input, float[][] intermediate, int tokens) {
        this.input = input;
        this.intermediate = intermediate;
        this.tokens = tokens;
    }

    /** Runs {@code denseDecode} (a dense decode on {@code model}) with a channel probe and keeps every magnitude it saw. */
    static ChannelThresholds sample(FfnSkipModel model, Runnable denseDecode) {
        int layers = model.info().layers();
        int hidden = model.info().hiddenSize();
        int inter = model.info().intermediateSize();
        List<List<float[]>> in = new ArrayList<>();
        List<List<float[]>> mid = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            in.add(new ArrayList<>());
            mid.add(new ArrayList<>());
        }
        // the probe's arrays are reused from call to call: copy them; the intermediate one may be longer than inter
        model.jlama().setChannelProbe((layer, x, a, residualNorm) -> {
            in.get(layer).add(magnitudes(x, hidden));
            mid.get(layer).add(magnitudes(a, inter));
        });
        try {
            denseDecode.run();
        } finally {
            model.jlama().setChannelProbe(null);
        }
        float[][] sortedIn = new float[layers][];
        float[][] sortedMid = new float[layers][];
        for (int l = 0; l < layers; l++) {
            if (in.get(l).isEmpty()) throw new IllegalStateException("the dense decode ran no single-token FFN in layer " + l);
            sortedIn[l] = sorted(in.get(l));
            sortedMid[l] = sorted(mid.get(l));
        }
        return new ChannelThresholds(sortedIn, sortedMid, in.get(0).size());
    }

    /** Single-token FFNs sampled per layer. */
    int tokens() {
        return tokens;
    }

    /** The dense-from-step-0 policy that drops, per layer, the share {@code s} of the sampled input and intermediate magnitudes. */
    ChannelSkipPolicy policy(double s) {
        List<Double> tIn = new ArrayList<>();
        List<Double> tMid = new ArrayList<>();
        for (int l = 0; l < input.length; l++) {
            tIn.add((double) quantile(input[l], s));
            tMid.add((double) quantile(intermediate[l], s));
        }
        return new ChannelSkipPolicy(tIn, tMid, 0, s, Optional.empty());
    }

    private static float[] magnitudes(float[] v, int n) {
        float[] m = new float[n];
        for (int i = 0; i < n; i++) m[i] = Math.abs(v[i]);
        return m;
    }

    private static float[] sorted(List<float[]> rows) {
        float[] all = new float[rows.stream().mapToInt(r -> r.length).sum()];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, all, at, r.length);
            at += r.length;
        }
        Arrays.sort(all);
        return all;
    }

    /** The kernel keeps a channel iff its magnitude is {@code >=} the threshold, so this drops at most a share q. */
    static float quantile(float[] sorted, double q) {
        if (q <= 0 || sorted.length == 0) return 0f;
        int i = (int) Math.min(sorted.length - 1, Math.floor(q * sorted.length));
        return sorted[i];
    }
}

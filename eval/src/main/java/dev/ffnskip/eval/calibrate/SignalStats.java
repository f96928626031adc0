package dev.ffnskip.eval.calibrate;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import java.util.Arrays;

/**
 * A dense "policy" that records every decode step's per-layer cos(h_mid, h_out) and FFN-update-to-residual norm: the
 * statistics the layerwise thresholds are calibrated from. Thread-safe; computes exactly like dense.
 */
final class SignalStats implements GatePolicy {
    private final int layers;
    private final float[][] cos;
    private final float[][] norm;
    private final int[] count;

    SignalStats(int layers, int capacity) {
        this.layers = layers;
        this.cos = new float[layers][capacity];
        this.norm = new float[layers][capacity];
        this.count = new int[layers];
    }

    private synchronized void add(int layer, float c, float n) {
        if (count[layer] == cos[layer].length) {
            cos[layer] = Arrays.copyOf(cos[layer], count[layer] * 2);
            norm[layer] = Arrays.copyOf(norm[layer], count[layer] * 2);
        }
        cos[layer][count[layer]] = c;
        norm[layer][count[layer]] = n;
        count[layer]++;
    }

    @Override
    public FfnGate newGate(int numLayers) {
        if (numLayers != layers) throw new IllegalArgumentException("stats for " + layers + " layers, model has " + numLayers);
        return new FfnGate() {
            @Override
            public void beginStep(int step) {}

            @Override
            public LayerAction action(int layer) {
                return LayerAction.COMPUTE;
            }

            @Override
            public void observe(int layer, float cosine, float ffnToResidualNorm) {
                add(layer, cosine, ffnToResidualNorm);
            }
        };
    }

    @Override
    public boolean mayDeviateFromDense() {
        return false;
    }

    @Override
    public boolean readsSignal() {
        return true; // it records the cosines of a dense decode
    }

    @Override
    public String describe() {
        return "dense (recording gate signals)";
    }

    synchronized int samples(int layer) {
        return count[layer];
    }

    /** The q-quantile (nearest rank) of layer {@code l}'s cosines. */
    synchronized double cosineQuantile(int layer, double q) {
        float[] v = Arrays.copyOf(cos[layer], count[layer]);
        if (v.length == 0) return Double.NaN;
        Arrays.sort(v);
        int idx = (int) Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1));
        return v[idx];
    }

    synchronized double meanCosine(int layer) {
        double s = 0;
        for (int i = 0; i < count[layer]; i++) s += cos[layer][i];
        return count[layer] == 0 ? Double.NaN : s / count[layer];
    }

    synchronized double meanNorm(int layer) {
        double s = 0;
        for (int i = 0; i < count[layer]; i++) s += norm[layer][i];
        return count[layer] == 0 ? Double.NaN : s / count[layer];
    }
}

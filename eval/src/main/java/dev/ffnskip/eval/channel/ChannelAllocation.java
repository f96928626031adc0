package dev.ffnskip.eval.channel;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How much channel sparsity each layer gets. {@link #uniform} gives every layer the target; {@link #greedy} spends
 * the target where it hurts least, as TEAL allocates sparsity block-wise: starting dense, it repeatedly raises by one
 * step the sparsity of the layer whose measured error (its FFN output's shift relative to the residual stream,
 * {@link ChannelStatistics#relativeError}) grows least, until the mean over layers reaches the target.
 */
final class ChannelAllocation {
    static final double STEP = 0.05;
    static final double MAX_LAYER_SPARSITY = 0.9;

    private ChannelAllocation() {}

    static double[] uniform(int layers, double target) {
        double[] s = new double[layers];
        java.util.Arrays.fill(s, target);
        return s;
    }

    static double[] greedy(FfnSkipModel model, ChannelStatistics stats, double target, int errorTokens) {
        int layers = stats.layers;
        int levels = (int) Math.round(MAX_LAYER_SPARSITY / STEP);
        double[][] error = new double[layers][levels + 1];
        for (int l = 0; l < layers; l++) {
            var ffn = model.jlama().channelSparseFfn(l);
            for (int k = 1; k <= levels; k++) error[l][k] = stats.relativeError(ffn, l, k * STEP, errorTokens);
        }
        int[] level = new int[layers];
        int steps = (int) Math.round(target * layers / STEP);
        for (int n = 0; n < steps; n++) {
            int best = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            for (int l = 0; l < layers; l++) {
                if (level[l] >= levels) continue;
                double cost = error[l][level[l] + 1] - error[l][level[l]];
                if (cost < bestCost) {
                    bestCost = cost;
                    best = l;
                }
            }
            if (best < 0) break;
            level[best]++;
        }
        double[] s = new double[layers];
        for (int l = 0; l < layers; l++) s[l] = level[l] * STEP;
        return s;
    }

    static ChannelSkipPolicy policy(ChannelStatistics stats, double[] perLayer, double target, int warmup) {
        return policy(stats, perLayer, perLayer, target, warmup);
    }

    static ChannelSkipPolicy policy(ChannelStatistics stats, double[] inputSparsity, double[] midSparsity, double target, int warmup) {
        List<Double> in = new ArrayList<>();
        List<Double> mid = new ArrayList<>();
        for (int l = 0; l < inputSparsity.length; l++) {
            in.add((double) stats.inputThreshold(l, inputSparsity[l]));
            mid.add((double) stats.intermediateThreshold(l, midSparsity[l]));
        }
        return new ChannelSkipPolicy(in, mid, warmup, target, Optional.empty(), stats.criterion);
    }

    /**
     * Greedy over 2 x layers knobs: each layer's input sparsity (saving 2/3 of its FFN reads per unit: the gate and
     * up columns) and intermediate sparsity (1/3: the down columns) move separately, each step taken where the error
     * grows least per unit of FFN work saved. Returns {inputSparsity, midSparsity}.
     */
    static double[][] greedySeparate(FfnSkipModel model, ChannelStatistics stats, double target, int errorTokens) {
        int layers = stats.layers;
        int levels = (int) Math.round(MAX_LAYER_SPARSITY / STEP);
        double[][][] error = new double[2][layers][levels + 1];
        for (int l = 0; l < layers; l++) {
            var ffn = model.jlama().channelSparseFfn(l);
            for (int k = 1; k <= levels; k++) {
                error[0][l][k] = stats.relativeError(ffn, l, k * STEP, 0, errorTokens);
                error[1][l][k] = stats.relativeError(ffn, l, 0, k * STEP, errorTokens);
            }
        }
        double[] weight = { 2.0 / 3.0, 1.0 / 3.0 };
        int[][] level = new int[2][layers];
        double saved = 0;
        while (saved < target * layers - 1e-9) {
            int bestKind = -1, bestLayer = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            for (int kind = 0; kind < 2; kind++) {
                for (int l = 0; l < layers; l++) {
                    if (level[kind][l] >= levels) continue;
                    double cost = (error[kind][l][level[kind][l] + 1] - error[kind][l][level[kind][l]]) / weight[kind];
                    if (cost < bestCost) {
                        bestCost = cost;
                        bestKind = kind;
                        bestLayer = l;
                    }
                }
            }
            if (bestKind < 0) break;
            level[bestKind][bestLayer]++;
            saved += weight[bestKind] * STEP;
        }
        double[][] s = new double[2][layers];
        for (int kind = 0; kind < 2; kind++) for (int l = 0; l < layers; l++) s[kind][l] = level[kind][l] * STEP;
        return s;
    }
}

package dev.ffnskip.eval.bench;

import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Skip policies that realise a chosen FFN skip ratio on random-weight models, which never saturate the adaptive gate.
 *
 * <p>{@link #exact} is the raw-model policy: decode step t skips {@code floor((t+1) s L) - floor(t s L)} FFNs, the
 * middle ones of the stack, so that over any run the skipped fraction is s up to one block (with 16 layers and
 * s = 0.3, steps alternate between 4 and 5 skipped FFNs instead of always {@code round(0.3 x 16) = 5}). Like the
 * adaptive gate it asks for the cosine of every computed FFN, so the measured cost includes the gate signal.
 *
 * <p>{@link #asSkipPolicy} is the same idea for the LangChain4j chat model, whose builder takes a {@link PaperGatePolicy}:
 * the adaptive gate with a threshold that the layer just before the skipped block always meets and a per-token cap,
 * which skips {@code round(s L)} middle layers per step.
 */
public final class ForcedSkip {
    private ForcedSkip() {}

    /** Skips a fraction {@code ratio} of all FFN blocks, exactly on average over the steps, middle layers first. */
    public static GatePolicy exact(double ratio) {
        if (!(ratio >= 0 && ratio < 1)) throw new IllegalArgumentException("skip ratio must be in [0, 1), was " + ratio);
        return new GatePolicy() {
            @Override
            public FfnGate newGate(int numLayers) {
                int[] order = middleFirst(numLayers);
                return new FfnGate() {
                    private final boolean[] skip = new boolean[numLayers];

                    @Override
                    public void beginStep(int step) {
                        int count = skipsUpTo(step + 1, ratio, numLayers) - skipsUpTo(step, ratio, numLayers);
                        for (int i = 0; i < numLayers; i++) skip[i] = false;
                        // the `count` layers closest to the middle, so the first and last layers always compute
                        for (int i = 0; i < count; i++) skip[order[i]] = true;
                    }

                    @Override
                    public LayerAction action(int layer) {
                        return skip[layer] ? LayerAction.SKIP_FFN : LayerAction.COMPUTE;
                    }
                };
            }

            @Override
            public boolean mayDeviateFromDense() {
                return true; // measure the cosine of every computed FFN, as the adaptive gate does
            }

            @Override
            public String describe() {
                return String.format(Locale.ROOT, "forced ffn skip ratio=%.3f (middle layers)", ratio);
            }
        };
    }

    /** FFNs skipped in the first {@code steps} steps. */
    static int skipsUpTo(int steps, double ratio, int layers) {
        return (int) Math.floor(steps * ratio * layers + 1e-9);
    }

    /** Layer indices ordered by distance from the middle of the stack (ties: lower first). */
    static int[] middleFirst(int layers) {
        List<Integer> idx = new ArrayList<>();
        for (int l = 0; l < layers; l++) idx.add(l);
        double mid = (layers - 1) / 2.0;
        Collections.sort(idx, (a, b) -> {
            int c = Double.compare(Math.abs(a - mid), Math.abs(b - mid));
            return c != 0 ? c : Integer.compare(a, b);
        });
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Layers {@link #asSkipPolicy} skips at every step: {@code round(ratio x layers)} centred on the middle. */
    public static int skippedPerStep(double ratio, int layers) {
        return (int) Math.round(ratio * layers);
    }

    /**
     * An adaptive-gate {@link PaperGatePolicy} that skips {@code round(ratio x layers)} middle layers per step on any model:
     * the layer before the block saturates every token (threshold 1e-30, i.e. any non-negative cosine), no other layer
     * can, and the per-token cap stops the skipping at the end of the block. When {@code ratio} is too small to skip a
     * whole layer per step, the gate still runs (cosines measured) but no layer ever saturates a token.
     */
    public static PaperGatePolicy asSkipPolicy(double ratio, int layers) {
        int count = skippedPerStep(ratio, layers);
        if (count == 0) {
            List<Double> never = Collections.nCopies(layers, Double.POSITIVE_INFINITY);
            return PaperGatePolicy.builder().threshold(1.0).layerThresholds(never).protectFirst(0).protectLast(0).warmupTokens(0).build();
        }
        if (count >= layers - 1) throw new IllegalArgumentException("cannot skip " + count + " of " + layers + " layers with a saturating layer before them");
        int start = Math.max(1, (layers - count) / 2);
        List<Double> thresholds = new ArrayList<>();
        for (int l = 0; l < layers; l++) thresholds.add(l == start - 1 ? 1e-30 : Double.POSITIVE_INFINITY);
        return PaperGatePolicy.builder()
            .protectFirst(start)
            .protectLast(layers - start - count)
            .warmupTokens(0)
            .maxSkipFraction((count + 0.5) / layers)
            .layerThresholds(thresholds)
            .build();
    }
}

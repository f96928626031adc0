package dev.ffnskip.jlama.generate;

import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Accumulates {@link GenerationStats} while decoding; allocation-free per layer unless steps are recorded. */
final class StatsRecorder implements GatedLlamaModel.LayerRecorder {
    private final int layers;
    private final boolean recordSteps;
    private final long[] computed;
    private final long[] skipped;
    private final long[] dropped;
    private int[] skippedPerStep = new int[64];
    private int steps;
    private final List<GenerationStats.StepRecord> records = new ArrayList<>();
    private float[] stepCosines;
    private int[] stepSkipped;
    private int stepSkipCount;
    private final int hidden;
    private final int intermediate;
    private double ffnWorkDone; // in units of one dense FFN (all three projections read once)

    long prefillNanos;
    long decodeNanos;
    int promptTokens;

    StatsRecorder(int layers, int hidden, int intermediate, boolean recordSteps) {
        this.layers = layers;
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.recordSteps = recordSteps;
        this.computed = new long[layers];
        this.skipped = new long[layers];
        this.dropped = new long[layers];
    }

    void beginStep() {
        if (steps == skippedPerStep.length) skippedPerStep = Arrays.copyOf(skippedPerStep, steps * 2);
        skippedPerStep[steps] = 0;
        if (recordSteps) {
            stepCosines = new float[layers];
            stepSkipped = new int[layers];
            stepSkipCount = 0;
        }
    }

    @Override
    public void record(int layer, LayerAction action, float cosine) {
        switch (action) {
            case COMPUTE -> {
                computed[layer]++;
                ffnWorkDone += 1.0; // corrected by recordChannels when the FFN ran channel-sparse
            }
            case SKIP_FFN -> {
                skipped[layer]++;
                skippedPerStep[steps]++;
            }
            case DROP_LAYER -> dropped[layer]++;
        }
        if (recordSteps) {
            stepCosines[layer] = cosine;
            if (action == LayerAction.SKIP_FFN) stepSkipped[stepSkipCount++] = layer;
        }
    }

    @Override
    public void recordChannels(int layer, int keptIn, int hiddenChannels, int keptMid, int intermediateChannels) {
        // gate and up read keptIn columns of `intermediate` rows each, down reads keptMid columns of `hidden` rows.
        double dense = 3.0 * hiddenChannels * intermediateChannels;
        ffnWorkDone += (2.0 * keptIn * intermediateChannels + (double) keptMid * hiddenChannels) / dense - 1.0;
    }

    void endStep() {
        if (recordSteps) records.add(new GenerationStats.StepRecord(Arrays.copyOf(stepSkipped, stepSkipCount), stepCosines));
        steps++;
    }

    int steps() {
        return steps;
    }

    GenerationStats snapshot() {
        return new GenerationStats(
            layers,
            promptTokens,
            steps,
            computed.clone(),
            skipped.clone(),
            dropped.clone(),
            Arrays.copyOf(skippedPerStep, steps),
            List.copyOf(records),
            prefillNanos,
            decodeNanos,
            steps == 0 ? 0.0 : 1.0 - ffnWorkDone / ((double) steps * layers)
        );
    }
}

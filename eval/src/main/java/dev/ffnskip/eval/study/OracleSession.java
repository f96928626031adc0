package dev.ffnskip.eval.study;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.model.GatedTransformerBlock;
import dev.ffnskip.jlama.model.ResidualCosine;

/**
 * The oracle bound of cosine-based block skipping: at every gated step, each skippable layer computes its FFN, and the
 * FFN's output is thrown away exactly when its own cos(h_mid, h_out) is at or above the threshold (the layer then
 * passes h_mid on, as a skipped FFN does). A real gate must decide before the FFN runs (the paper rule from the
 * previous layers' cosines); the oracle shows what a perfect predictor of the cosine would cost in quality. It saves
 * no compute (it runs every FFN and each skippable layer's attention twice: once to get h_mid, once with the FFN,
 * writing the same K/V both times), so it is a measurement only.
 */
final class OracleSession implements StudySequence {
    private final GatedLlamaModel m;
    /** Holds the model's turn (its serialization permit) while this measurement-only loop runs on it. */
    private final DecodeSession turn;
    private final double threshold;
    private final int protectFirst;
    private final int protectLast;
    private final int warmup;
    private final int layers;
    private final int vocabulary;
    private final KvBufferCache.KvBuffer kv;
    private final AbstractTensor logits;
    private final ResidualCosine signal = new ResidualCosine();
    private final long[] skippedPerLayer;
    private int position;
    private int argmax = -1;
    private long steps;
    private long skipped;

    OracleSession(FfnSkipModel model, double threshold, int protectFirst, int protectLast, int warmup) {
        if (protectFirst < 0 || protectLast < 0 || warmup < 0) throw new IllegalArgumentException("protected layers and warm-up must be >= 0");
        this.m = model.jlama();
        this.threshold = threshold;
        this.protectFirst = protectFirst;
        this.protectLast = protectLast;
        this.warmup = warmup;
        this.layers = m.numberOfLayers();
        this.vocabulary = m.getConfig().vocabularySize;
        this.skippedPerLayer = new long[layers];
        this.kv = m.newKvBuffer();
        this.logits = m.makeDenseTensor(vocabulary);
        this.turn = model.openSession(GatePolicy.DENSE, false); // last: nothing after it can fail and leak the turn
    }

    @Override
    public void prefill(int[] tokens) {
        AbstractTensor last = m.batchForward(tokens, position, kv);
        try {
            position += tokens.length;
            argmax = m.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
        } finally {
            last.close();
        }
    }

    @Override
    public void step(int token) {
        boolean gated = steps >= warmup;
        AbstractTensor hidden = m.embed(token, position);
        for (int layer = 0; layer < layers; layer++) {
            GatedTransformerBlock block = m.block(layer);
            AbstractTensor next;
            if (gated && layer >= protectFirst && layer < layers - protectLast) {
                AbstractTensor mid = block.forward(hidden, position, kv, LayerAction.SKIP_FFN, null);
                AbstractTensor out = block.forward(hidden, position, kv, LayerAction.COMPUTE, signal);
                if (signal.cosine() >= threshold) {
                    out.close();
                    next = mid;
                    skipped++;
                    skippedPerLayer[layer]++;
                } else {
                    mid.close();
                    next = out;
                }
            } else {
                next = block.forward(hidden, position, kv, LayerAction.COMPUTE, null);
            }
            hidden.close();
            hidden = next;
        }
        try {
            argmax = m.sample(hidden, 0f, 0f, logits);
        } finally {
            hidden.close();
        }
        position++;
        steps++;
    }

    @Override
    public int argmax() {
        if (argmax < 0) throw new IllegalStateException("no logits yet: prefill first");
        return argmax;
    }

    @Override
    public double logProbability(int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabulary; i++) max = Math.max(max, logits.get(0, i));
        double sum = 0;
        for (int i = 0; i < vocabulary; i++) sum += Math.exp(logits.get(0, i) - max);
        return logits.get(0, token) - max - Math.log(sum);
    }

    @Override
    public long decodeSteps() {
        return steps;
    }

    @Override
    public long gatedSteps() {
        return Math.max(0, steps - warmup);
    }

    @Override
    public long blocksSkipped() {
        return skipped;
    }

    @Override
    public double workSkipped() {
        return steps == 0 ? 0 : (double) skipped / (steps * layers);
    }

    long[] skippedPerLayer() {
        return skippedPerLayer.clone();
    }

    @Override
    public void close() {
        kv.close();
        logits.close();
        turn.close();
    }
}

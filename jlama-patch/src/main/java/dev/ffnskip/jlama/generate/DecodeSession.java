package dev.ffnskip.jlama.generate;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.model.ResidualCosine;

/**
 * One sequence being decoded: its own KV cache, gate and statistics. A dense {@link #prefill} of the prompt, then
 * gated single-token {@link #step}s; after each, the next-token logits are available.
 *
 * <p>{@link #markRewindPoint} and {@link #rewind} decode several gates from the end of one shared prompt (the eval
 * harness compares policies this way at the cost of one prefill).
 *
 * <p>Not thread-safe, and the model must not run anything else while a session is open (Jlama shares scratch
 * buffers); {@code FfnSkipModel} hands out sessions one at a time. Close it to release the KV cache.
 */
public final class DecodeSession implements AutoCloseable {
    private final GatedLlamaModel model;
    private final KvBufferCache.KvBuffer kvBuffer;
    private final boolean recordSteps;
    private FfnGate gate;
    private ResidualCosine signal;
    private StatsRecorder stats;
    private final AbstractTensor logits;
    private final int vocabularySize;
    private final int contextLength;
    private int position;
    private final Runnable onClose;
    private int argmax = -1;
    private boolean closed;
    private int markPosition = -1;
    private int markArgmax;
    private AbstractTensor markLogits;

    public DecodeSession(GatedLlamaModel model, GatePolicy policy, boolean recordSteps) {
        this(model, policy, recordSteps, () -> {});
    }

    /** @param onClose runs once after the KV cache is released (e.g. to let the next request use the model) */
    public DecodeSession(GatedLlamaModel model, GatePolicy policy, boolean recordSteps, Runnable onClose) {
        this.model = model;
        this.onClose = onClose;
        this.recordSteps = recordSteps;
        useGate(policy);
        this.stats = newStats();
        this.vocabularySize = model.getConfig().vocabularySize;
        this.contextLength = model.usableContextLength();
        this.kvBuffer = model.newKvBuffer();
        this.logits = model.makeDenseTensor(vocabularySize);
    }

    /** Runs {@code tokens} densely at the current position (the prompt). */
    public void prefill(int[] tokens) {
        ensureOpen();
        if (tokens.length == 0) throw new IllegalArgumentException("Cannot prefill an empty token sequence");
        if (position + tokens.length > contextLength) {
            throw new PromptTooLongException(position + tokens.length, contextLength);
        }
        long start = System.nanoTime();
        AbstractTensor last = model.batchForward(tokens, position, kvBuffer);
        try {
            position += tokens.length;
            computeLogits(last.slice(last.shape().first() - 1));
        } finally {
            last.close();
        }
        stats.prefillNanos += System.nanoTime() - start;
        stats.promptTokens += tokens.length;
    }

    /** Runs one gated decode step for {@code token} at the current position. */
    public void step(int token) {
        ensureOpen();
        if (position >= contextLength) throw new IllegalStateException("Context window of " + contextLength + " tokens is full");
        if (token < 0 || token >= vocabularySize) throw new IllegalArgumentException("Token id " + token + " outside the vocabulary");
        long start = System.nanoTime();
        gate.beginStep(stats.steps());
        stats.beginStep();
        AbstractTensor hidden = model.decodeStep(token, position, kvBuffer, gate, signal, stats);
        try {
            position++;
            stats.endStep();
            computeLogits(hidden);
        } finally {
            hidden.close();
        }
        stats.decodeNanos += System.nanoTime() - start;
    }

    private void useGate(GatePolicy policy) {
        this.gate = policy.newGate(model.numberOfLayers());
        // The cosine costs one pass over the hidden state per layer; skip it when nothing reads it.
        this.signal = policy.readsSignal() || recordSteps ? new ResidualCosine() : null;
    }

    private StatsRecorder newStats() {
        return new StatsRecorder(model.numberOfLayers(), model.getConfig().embeddingLength, model.getConfig().hiddenLength, recordSteps);
    }

    /** Remembers the current position and next-token logits (e.g. the end of a prompt) for {@link #rewind}. */
    public void markRewindPoint() {
        ensureOpen();
        requireLogits();
        if (markLogits == null) markLogits = model.makeDenseTensor(vocabularySize);
        markLogits.copyFrom(logits, 0, 0, vocabularySize);
        markPosition = position;
        markArgmax = argmax;
    }

    /**
     * Back to the {@linkplain #markRewindPoint marked} position and logits, decoding on under a fresh gate of
     * {@code policy} with fresh decode statistics (the prefill's are kept). The cache before the mark is what the
     * prefill wrote: a step writes only its own position and attention reads only earlier ones, so what follows
     * equals a decode after its own prefill, token for token.
     */
    public void rewind(GatePolicy policy) {
        ensureOpen();
        if (markPosition < 0) throw new IllegalStateException("No rewind point: call markRewindPoint() first");
        useGate(policy);
        StatsRecorder fresh = newStats();
        fresh.prefillNanos = stats.prefillNanos;
        fresh.promptTokens = stats.promptTokens;
        stats = fresh;
        position = markPosition;
        logits.copyFrom(markLogits, 0, 0, vocabularySize);
        argmax = markArgmax;
    }

    private void computeLogits(AbstractTensor hidden) {
        // Greedy sampling leaves the raw logits in the tensor and returns the first maximum, as stock Jlama does.
        argmax = model.sample(hidden, 0f, 0f, logits);
    }

    /**
     * Sets the logit of every token not in {@code allowed} (a bitset over ids) to minus infinity, so greedy decoding
     * and sampling pick only allowed tokens; {@link #argmax()} becomes the most likely allowed token.
     */
    public void restrictLogits(long[] allowed) {
        requireLogits();
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabularySize; i++) {
            if ((allowed[i >>> 6] & (1L << i)) == 0) {
                logits.set(Float.NEGATIVE_INFINITY, 0, i);
            } else {
                float v = logits.get(0, i);
                if (best < 0 || v > bestValue) {
                    best = i;
                    bestValue = v;
                }
            }
        }
        if (best < 0) throw new IllegalStateException("The token constraint allows no token");
        argmax = best;
    }

    /** The most likely next token (lowest id on ties). */
    public int argmax() {
        requireLogits();
        return argmax;
    }

    /** Copies the next-token logits into {@code into} (length &gt;= vocabulary size). */
    public void copyLogits(float[] into) {
        requireLogits();
        for (int i = 0; i < vocabularySize; i++) into[i] = logits.get(0, i);
    }

    /** Natural-log probability of {@code token} as the next token. */
    public double logProbability(int token) {
        requireLogits();
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabularySize; i++) max = Math.max(max, logits.get(0, i));
        double sum = 0;
        for (int i = 0; i < vocabularySize; i++) sum += Math.exp(logits.get(0, i) - max);
        return logits.get(0, token) - max - Math.log(sum);
    }

    public int position() {
        return position;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Positions this session can fill: the model's usable context window. */
    public int contextLength() {
        return contextLength;
    }

    /** This session's KV cache (read-only use, e.g. to check that every layer wrote every position). */
    public KvBufferCache.KvBuffer kvBuffer() {
        return kvBuffer;
    }

    public GenerationStats stats() {
        return stats.snapshot();
    }

    private void requireLogits() {
        if (argmax < 0) throw new IllegalStateException("No logits yet: prefill first");
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("Session is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            kvBuffer.close();
            logits.close();
            if (markLogits != null) markLogits.close();
        } finally {
            onClose.run();
        }
    }
}

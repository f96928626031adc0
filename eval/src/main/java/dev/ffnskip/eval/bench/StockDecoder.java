package dev.ffnskip.eval.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import java.lang.reflect.Field;
import java.util.Optional;

/**
 * Times unmodified Jlama ({@code LlamaModel} as {@code ModelSupport.loadModel} builds it) the way its own
 * {@code AbstractModel.generate} decodes: {@code batchForward} of the prompt, then per token {@code forward} and
 * greedy {@code sample} into one logits tensor. Only the KV cache differs from {@code generate}: an in-memory
 * ephemeral buffer, which is what our {@code DecodeSession} uses too (Jlama's {@code generate} keeps per-session
 * buffers with 8 MB pages, or memory-mapped files with a working directory). Nothing is decoded to text: the loop
 * is timed with {@link System#nanoTime()} around exactly the work ours does.
 */
final class StockDecoder {
    private final AbstractModel model;
    private final KvBufferCache kvBuffers;
    private final int vocabularySize;

    StockDecoder(AbstractModel model) {
        this.model = model;
        this.kvBuffers = kvBufferCache(model);
        this.vocabularySize = model.getConfig().vocabularySize;
    }

    private static KvBufferCache kvBufferCache(AbstractModel model) {
        try {
            Field f = AbstractModel.class.getDeclaredField("kvBufferCache");
            f.setAccessible(true);
            return (KvBufferCache) f.get(model);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot reach Jlama's KV buffer cache: " + e, e);
        }
    }

    /** Prefills {@code prompt} and runs {@code steps} greedy decode steps; returns the timings and the last token. */
    Sample run(int round, int[] prompt, int steps) {
        long start = System.nanoTime();
        try (KvBufferCache.KvBuffer kv = kvBuffers.getEphemeralKvBuffer(); AbstractTensor logits = model.makeDenseTensor(vocabularySize)) {
            long t0 = System.nanoTime();
            AbstractTensor last = model.batchForward(prompt, 0, kv);
            int next = model.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            last.close();
            long t1 = System.nanoTime();
            long head = 0;
            for (int i = 0; i < steps; i++) {
                AbstractTensor out = model.forward(next, prompt.length + i, kv, Optional.empty());
                long h = System.nanoTime();
                next = model.sample(out, 0f, 0f, logits);
                head += System.nanoTime() - h;
                out.close();
            }
            long t2 = System.nanoTime();
            return new Sample(round, t1 - t0, prompt.length, t2 - t1, steps, 0, model.getConfig().numberOfLayers, System.nanoTime() - start, head);
        }
    }
}

package dev.ffnskip.eval.run;

import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.FfnGate;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.LayerAction;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.model.ResidualCosine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Greedy decoding of one prompt under several gate policies with one shared dense prefill.
 *
 * <p>The prompt is prefilled once (dense, as in every generation); then each policy decodes from the end of the prompt
 * with the same KV cache. A decode only writes cache positions at and after the prompt, and attention at position p
 * reads positions up to p, so every policy sees exactly the cache it would have with its own prefill: the outputs
 * equal {@link FfnSkipModel#generate} token for token (checked by a test) at a fraction of the cost when prompts are
 * long. The loop mirrors the project's text generator: the first token comes from the prefill, decode step k feeds
 * generated token k, and decoding stops after an end token, at {@code maxNewTokens} or at the context window.
 */
public final class SharedPrefixDecoder {
    private SharedPrefixDecoder() {}

    /** One policy's decode: generated ids (end token included), text, gate counters; the shared prefill's time is reported with each. */
    public record Decode(int[] tokens, String text, long decodeSteps, long ffnSkipped, long layersDropped, long decodeNanos, long prefillNanos, int promptTokens) {}

    public static List<Decode> decode(FfnSkipModel model, int[] prompt, List<? extends GatePolicy> policies, int maxNewTokens) {
        GatedLlamaModel m = model.jlama();
        int layers = m.numberOfLayers();
        int vocabulary = m.getConfig().vocabularySize;
        int context = m.usableContextLength();
        Set<Integer> ends = model.endTokens();
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (prompt.length > context) throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context of " + context);
        List<Decode> out = new ArrayList<>(policies.size());
        KvBufferCache.KvBuffer kv = m.newKvBuffer();
        AbstractTensor logits = m.makeDenseTensor(vocabulary);
        try {
            long start = System.nanoTime();
            int first;
            AbstractTensor last = m.batchForward(prompt, 0, kv);
            try {
                first = m.sample(last.slice(last.shape().first() - 1), 0f, 0f, logits);
            } finally {
                last.close();
            }
            long prefillNanos = System.nanoTime() - start;
            ResidualCosine signal = new ResidualCosine();
            for (int p = 0; p < policies.size(); p++) {
                FfnGate gate = policies.get(p).newGate(layers);
                int step = 0;
                long[] counts = new long[2];
                GatedLlamaModel.LayerRecorder recorder = (layer, action, cosine) -> {
                    if (action == LayerAction.SKIP_FFN) counts[0]++;
                    else if (action == LayerAction.DROP_LAYER) counts[1]++;
                };
                int[] tokens = new int[Math.max(1, maxNewTokens)];
                int n = 0;
                int next = first;
                tokens[n++] = next;
                int position = prompt.length;
                long decodeStart = System.nanoTime();
                while (!ends.contains(next) && n < maxNewTokens && position < context) {
                    gate.beginStep(step);
                    AbstractTensor hidden = m.decodeStep(next, position, kv, gate, signal, recorder);
                    try {
                        next = m.sample(hidden, 0f, 0f, logits);
                    } finally {
                        hidden.close();
                    }
                    position++;
                    step++;
                    tokens[n++] = next;
                }
                long decodeNanos = System.nanoTime() - decodeStart;
                int[] ids = Arrays.copyOf(tokens, n);
                boolean ended = ends.contains(ids[n - 1]);
                String text = model.decode(ended ? Arrays.copyOf(ids, n - 1) : ids);
                out.add(new Decode(ids, text, step, counts[0], counts[1], decodeNanos, prefillNanos, prompt.length));
            }
        } finally {
            kv.close();
            logits.close();
        }
        return out;
    }
}

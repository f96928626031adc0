package dev.ffnskip.jlama;

import com.github.tjake.jlama.safetensors.Config;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import dev.ffnskip.jlama.gate.CalibrationRegistry;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PolicyChoice;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.TextGenerator;
import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenListener;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoader;
import dev.ffnskip.jlama.model.GatedLlamaModel;
import dev.ffnskip.jlama.ops.TensorOperationsGuard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded model with the FFN skip gate: the entry point of {@code jlama-patch}.
 *
 * <p>Thread-safe. Jlama's layers share scratch buffers, so generations on one instance are <em>serialized</em>: callers
 * wait in FIFO order for the model, and each generation gets its own KV cache, released when it ends. Past
 * {@link #maxWaiting()} waiting callers a request fails fast with {@link ModelBusyException}.
 */
public final class FfnSkipModel implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(FfnSkipModel.class);
    private final GatedLlamaModel jlama;
    private final ModelInfo info;
    private final TokenBytes tokenBytes;
    private final TextGenerator generator;
    private final PolicyChoice defaultPolicy;
    private final Semaphore turn = new Semaphore(1, true);
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile int maxWaiting = Integer.MAX_VALUE;

    private FfnSkipModel(GatedLlamaModel jlama, ModelLoader.Prepared prepared) {
        this.jlama = jlama;
        Config c = jlama.getConfig();
        this.info = new ModelInfo(
            prepared.folder().path(),
            prepared.origin(),
            prepared.name(),
            prepared.fingerprint(),
            prepared.folder().architecture().modelType(),
            jlama.numberOfLayers(),
            c.embeddingLength,
            c.hiddenLength,
            c.vocabularySize,
            jlama.usableContextLength(),
            jlama.weightType().name(),
            jlama.workingQuantizationType().name(),
            TensorOperationsGuard.activeName()
        );
        this.tokenBytes = TokenBytes.load(prepared.folder().path().resolve("tokenizer.json"));
        Set<Integer> endTokens = new LinkedHashSet<>(c.eosTokens);
        String eos = jlama.getTokenizer().getModel().eosToken();
        if (eos != null) {
            Long id = jlama.getTokenizer().getModel().vocabLookup.get(eos);
            if (id != null) endTokens.add(id.intValue());
        }
        this.generator = new TextGenerator(tokenBytes, endTokens);
        this.defaultPolicy = CalibrationRegistry.standard().choose(info.fingerprint(), info.precision());
        logger.info("{}: {}", info.name(), defaultPolicy.reason());
    }

    /** Loads a local Hugging Face folder or GGUF file with default options (I8 working quantization, weights as stored). */
    public static FfnSkipModel load(Path dir) {
        return load(dir, LoadOptions.defaults());
    }

    /**
     * Loads a local Hugging Face folder, a {@code .gguf} file or a folder holding one (converted once into the cache,
     * see {@link LoadOptions#cacheDirectory()}); never touches the network.
     */
    public static FfnSkipModel load(Path dir, LoadOptions options) {
        ModelLoader.Prepared prepared = ModelLoader.prepare(dir, options);
        return new FfnSkipModel(ModelLoader.loadGated(prepared, options), prepared);
    }

    public ModelInfo info() {
        return info;
    }

    /**
     * The gate this model runs when the caller names none: the calibration stored for these weights at this
     * precision ({@link CalibrationRegistry}), else dense. Never a guess: an uncalibrated model does not skip.
     */
    public PolicyChoice defaultPolicy() {
        return defaultPolicy;
    }

    /** The underlying Jlama model, for callers that need Jlama APIs directly. Not safe to use concurrently with generations. */
    public GatedLlamaModel jlama() {
        return jlama;
    }

    public TokenBytes tokenBytes() {
        return tokenBytes;
    }

    public Set<Integer> endTokens() {
        return generator.endTokens();
    }

    /** The chat template support of the tokenizer, if the model has a chat template. */
    public Optional<PromptSupport> promptSupport() {
        return jlama.promptSupport();
    }

    /** Token ids of a rendered prompt, with BOS handling exactly as stock Jlama does it. */
    public int[] encode(PromptContext prompt) {
        return jlama.encodePrompt(prompt);
    }

    /** Token ids of raw text, without BOS. */
    public int[] encodeText(String text) {
        long[] ids = jlama.getTokenizer().encode(text);
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    public String decode(int[] ids) {
        return tokenBytes.decode(ids);
    }

    public GenerationResult generate(int[] prompt, GenerationRequest request) {
        return generate(prompt, request, TokenListener.NONE, () -> false);
    }

    /**
     * Generates from {@code prompt}, waiting for the model if another generation is running.
     *
     * @param cancelled polled between tokens; when it returns true the generation stops with {@code CANCELLED}
     */
    public GenerationResult generate(int[] prompt, GenerationRequest request, TokenListener listener, BooleanSupplier cancelled) {
        try (DecodeSession session = openSession(request.gate() != null ? request.gate() : defaultPolicy.policy(), request.recordSteps())) {
            return generator.generate(session, prompt, request, listener, cancelled);
        }
    }

    /**
     * One generation per request from the same {@code prompt}, sharing one dense prefill: each request decodes from
     * the end of the prompt under its own gate ({@link DecodeSession#rewind}), token for token what {@link #generate}
     * gives it alone. Takes the model once for all of them. Each result's stats carry the shared prefill.
     */
    public List<GenerationResult> generateEach(int[] prompt, List<GenerationRequest> requests) {
        List<GenerationResult> out = new ArrayList<>(requests.size());
        if (requests.isEmpty()) return out;
        try (DecodeSession session = openSession(GatePolicy.DENSE, requests.stream().anyMatch(GenerationRequest::recordSteps))) {
            session.prefill(prompt);
            session.markRewindPoint();
            for (GenerationRequest request : requests) {
                session.rewind(request.gate() != null ? request.gate() : defaultPolicy.policy());
                out.add(generator.decode(session, request, TokenListener.NONE, () -> false));
            }
        }
        return out;
    }

    /**
     * Takes the model for one sequence (waiting in line as {@link #generate} does). The model stays taken until the
     * session is closed, so always use try-with-resources.
     */
    public DecodeSession openSession(GatePolicy policy, boolean recordSteps) {
        acquire();
        try {
            return new DecodeSession(jlama, policy, recordSteps, turn::release);
        } catch (RuntimeException | Error e) {
            turn.release();
            throw e;
        }
    }

    private void acquire() {
        if (turn.tryAcquire()) return;
        int queued = waiting.incrementAndGet();
        try {
            if (queued > maxWaiting) throw new ModelBusyException(queued - 1, maxWaiting);
            turn.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the model", e);
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Most callers allowed to wait for the model at once; more fail with {@link ModelBusyException}. */
    public int maxWaiting() {
        return maxWaiting;
    }

    public void setMaxWaiting(int maxWaiting) {
        if (maxWaiting < 0) throw new IllegalArgumentException("maxWaiting must be >= 0, was " + maxWaiting);
        this.maxWaiting = maxWaiting;
    }

    /** Sessions holding a KV cache right now (0 or 1: generations are serialized). */
    public int openSessions() {
        return 1 - turn.availablePermits(); // only a session holds the one permit
    }

    /** Callers currently waiting for the model. */
    public int waiting() {
        return waiting.get();
    }

    @Override
    public void close() {
        jlama.close();
    }
}

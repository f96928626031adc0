package dev.ffnskip.langchain4j;

import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.kernels.DecodeKernels;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;

/**
 * The settings both ffn-skip chat models share. It accepts everything {@code JlamaChatModel.builder()} accepts, with
 * the same types, so swapping the class name is enough to switch, plus a local {@link #modelPath(Path)}, an already
 * loaded {@link #model(FfnSkipModel)}, the FFN skip knobs, listeners and default request parameters.
 *
 * <p>Builders are mutable and not thread-safe; the models they build are immutable. Unset values mean "default";
 * {@code build()} validates everything and fails with an {@link IllegalArgumentException} (a
 * {@link dev.ffnskip.jlama.load.ModelLoadException} for model folders) that names the problem, or LangChain4j's
 * {@link dev.langchain4j.exception.UnsupportedFeatureException} for defaults the provider cannot honour (penalties,
 * JSON schema constructs constrained decoding cannot enforce, {@code ToolChoice.REQUIRED} without {@link #strictTools}, a {@code modelName} other than the one served).
 *
 * @param <B> the concrete builder
 */
public abstract class FfnSkipModelBuilder<B extends FfnSkipModelBuilder<B>> {
    // Where the model comes from.
    Path modelPath;
    String modelName;
    Path modelCachePath;
    String authToken;
    Boolean allowDownload;
    FfnSkipModel model;
    Boolean shareModel;
    // How it is loaded.
    Integer threadCount;
    Path workingDirectory;
    DType workingQuantizedType;
    Boolean quantizeModelAtRuntime;
    Path quantizationCachePath;
    Boolean quantizeHeadInput;
    DecodeKernels decodeKernels;
    // Request defaults.
    Double temperature;
    Integer maxTokens;
    Double topP;
    Integer topK;
    Long seed;
    List<String> stopSequences;
    PaperGatePolicy skipPolicy;
    GatePolicy gatePolicy;
    Boolean skipEnabled;
    Double skipThreshold;
    Double maxSkipFraction;
    Integer protectFirst;
    Integer protectLast;
    Integer warmupTokens;
    Boolean strictTools;
    ChatRequestParameters defaultRequestParameters;
    List<ChatModelListener> listeners = List.of();
    // Logging.
    Boolean logRequests;
    Boolean logResponses;
    Logger logger;

    protected FfnSkipModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** A local Hugging Face model folder (config.json, tokenizer.json, safetensors). Never touches the network. */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /**
     * A Hugging Face id ({@code owner/name}), looked up in {@link #modelCachePath} as {@code <cache>/<owner>_<name>}
     * like {@code JlamaChatModel} does. A cached model is used offline; an id that is not cached is downloaded (unless
     * {@link #allowDownload(Boolean) allowDownload(false)}).
     */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** Where {@link #modelName} models live; default {@code ~/.jlama/models} (Jlama's). */
    public B modelCachePath(Path modelCachePath) {
        this.modelCachePath = modelCachePath;
        return self();
    }

    /** Hugging Face token, used only when a {@link #modelName} has to be downloaded. */
    public B authToken(String authToken) {
        this.authToken = authToken;
        return self();
    }

    /** Whether a {@link #modelName} that is not cached may be downloaded; default true. */
    public B allowDownload(Boolean allowDownload) {
        this.allowDownload = allowDownload;
        return self();
    }

    /**
     * An already loaded model to use (shared with whoever else uses it; this chat model never closes it). Excludes
     * {@link #modelPath}, {@link #modelName} and the load options.
     */
    public B model(FfnSkipModel model) {
        this.model = model;
        return self();
    }

    /**
     * Whether to take the model from the process-wide {@link FfnSkipModels} cache (default true), so chat models for
     * the same folder and load options share one copy of the weights. With false this chat model loads its own copy
     * and {@code close()} releases it.
     */
    public B shareModel(Boolean shareModel) {
        this.shareModel = shareModel;
        return self();
    }

    /** Jlama worker threads (default one per physical core); Jlama fixes it once per JVM. */
    public B threadCount(Integer threadCount) {
        this.threadCount = threadCount;
        return self();
    }

    /** Accepted for Jlama compatibility; KV caches live in memory, so the folder is only checked to exist. */
    public B workingDirectory(Path workingDirectory) {
        this.workingDirectory = workingDirectory;
        return self();
    }

    /**
     * What activations are quantized to before each matmul: I8 (default, Jlama's; BF16 for BF16 weights), BF16 or F32
     * (exact float32 activations).
     */
    public B workingQuantizedType(DType workingQuantizedType) {
        this.workingQuantizedType = workingQuantizedType;
        return self();
    }

    /**
     * Quantize the weights to Jlama Q4. Done once into {@link #quantizationCachePath} and loaded from there (Jlama
     * 0.8.4's own load-time Q4 quantization is broken with I8 activations).
     */
    public B quantizeModelAtRuntime(Boolean quantizeModelAtRuntime) {
        this.quantizeModelAtRuntime = quantizeModelAtRuntime;
        return self();
    }

    /**
     * Run the output head on the I8-quantized hidden state, as the Q4 layers run (default off). Faster decode for
     * Q4 models with large vocabularies (Jlama's stock head uses its slow F32 x Q4 kernel); logits then differ
     * slightly from stock Jlama's. See {@link dev.ffnskip.jlama.load.LoadOptions#quantizeHeadInput()}.
     */
    public B quantizeHeadInput(Boolean quantizeHeadInput) {
        this.quantizeHeadInput = quantizeHeadInput;
        return self();
    }

    /**
     * The kernels of single-token matmuls: {@link DecodeKernels#NATIVE} (the default, or {@code -Dffnskip.kernels}) runs
     * Q4 x I8 products, the head included, on ffn-skip's native kernel where the CPU allows; {@link DecodeKernels#STOCK}
     * keeps Jlama's (gate-off output then token-for-token stock Jlama). See
     * {@link dev.ffnskip.jlama.load.LoadOptions#decodeKernels()}.
     */
    public B decodeKernels(DecodeKernels decodeKernels) {
        this.decodeKernels = decodeKernels;
        return self();
    }

    /** Where Q4 copies are kept; default {@code ~/.cache/ffn-skip} (or {@code -Dffnskip.cache.dir} / {@code FFNSKIP_CACHE_DIR}). */
    public B quantizationCachePath(Path quantizationCachePath) {
        this.quantizationCachePath = quantizationCachePath;
        return self();
    }

    /** Default sampling temperature (0 = greedy); default 0.3 like {@code JlamaChatModel}. */
    public B temperature(Float temperature) {
        this.temperature = temperature == null ? null : temperature.doubleValue();
        return self();
    }

    /** Default sampling temperature (0 = greedy); default 0.3 like {@code JlamaChatModel}. */
    public B temperature(Double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** Default most tokens to generate (end token included); default the model's usable context length. */
    public B maxTokens(Integer maxTokens) {
        this.maxTokens = maxTokens;
        return self();
    }

    /** Default nucleus sampling mass in (0, 1]; default none. */
    public B topP(Double topP) {
        this.topP = topP;
        return self();
    }

    /** Default top-k sampling cut-off; default none. */
    public B topK(Integer topK) {
        this.topK = topK;
        return self();
    }

    /** Default sampling seed; default random. */
    public B seed(Long seed) {
        this.seed = seed;
        return self();
    }

    /** Default stop sequences (cut from the answer); default none. */
    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
        return self();
    }

    /**
     * The paper's FFN skip gate with these values, as a whole policy (like {@link #gatePolicy}; combining it with the
     * single knobs below or with {@code skipEnabled(false)} is a conflict, see docs/configuration.md "Which gate runs").
     * Default: none, i.e. the model's default gate ({@code FfnSkipModel.defaultPolicy()}: its calibration, else dense).
     */
    public B skipPolicy(PaperGatePolicy skipPolicy) {
        this.skipPolicy = skipPolicy;
        return self();
    }

    /**
     * Any gate policy, e.g. one calibrated by the eval harness and read with {@link GatePolicies#read(Path)}. Combining
     * it with {@link #skipPolicy}, a paper-gate knob ({@link #skipThreshold}, ...) or {@code skipEnabled(false)} is a
     * conflict. Default: the model's default gate ({@code FfnSkipModel.defaultPolicy()}: its calibration, else dense).
     */
    public B gatePolicy(GatePolicy gatePolicy) {
        this.gatePolicy = gatePolicy;
        return self();
    }

    /** Reads the gate policy from a JSON file written by the eval harness's {@code calibrate} command. */
    public B gatePolicyFile(Path policyFile) {
        this.gatePolicy = GatePolicies.read(policyFile);
        return self();
    }

    /** Switches FFN skipping on (default) or off (exactly the stock dense computation). */
    public B skipEnabled(Boolean skipEnabled) {
        this.skipEnabled = skipEnabled;
        return self();
    }

    /** Selects the paper gate with this cosine saturation threshold in (0, 1] (the paper gate's default: 0.98). */
    public B skipThreshold(Double skipThreshold) {
        this.skipThreshold = skipThreshold;
        return self();
    }

    /** Per-token cap on skipped FFNs as a fraction of the layers, in [0, 1]; default 1 (no cap). */
    public B maxSkipFraction(Double maxSkipFraction) {
        this.maxSkipFraction = maxSkipFraction;
        return self();
    }

    /** Leading layers whose FFN always runs; default 2. */
    public B protectFirst(Integer protectFirst) {
        this.protectFirst = protectFirst;
        return self();
    }

    /** Trailing layers whose FFN always runs; default 2. */
    public B protectLast(Integer protectLast) {
        this.protectLast = protectLast;
        return self();
    }

    /** Initial decode steps that run densely; default 2. */
    public B warmupTokens(Integer warmupTokens) {
        this.warmupTokens = warmupTokens;
        return self();
    }

    /**
     * Strict tool calls by default: when a request offers tools, a tool call is constrained to the offered tools' names
     * and parameter schemas while a text answer stays free, and {@code ToolChoice.REQUIRED} is supported (the answer
     * must be a call). Default false; per request {@link FfnSkipChatRequestParameters.Builder#strictTools}.
     */
    public B strictTools(Boolean strictTools) {
        this.strictTools = strictTools;
        return self();
    }

    /**
     * Default request parameters (a {@link FfnSkipChatRequestParameters} may carry skip settings). Values set with
     * this builder's own setters take precedence over them; requests override both.
     */
    public B defaultRequestParameters(ChatRequestParameters defaultRequestParameters) {
        this.defaultRequestParameters = defaultRequestParameters;
        return self();
    }

    /** Listeners told about every request, response and error. */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : new ArrayList<>(listeners);
        return self();
    }

    /** Listeners told about every request, response and error. */
    public B listeners(ChatModelListener... listeners) {
        return listeners(listeners == null ? null : Arrays.asList(listeners));
    }

    /**
     * Log every request at INFO: its parameters and the prompt exactly as the model reads it (rendered with the chat
     * template, with its token count). Default false.
     */
    public B logRequests(Boolean logRequests) {
        this.logRequests = logRequests;
        return self();
    }

    /** Log every response at INFO: its metadata (finish reason, token usage, what the gate skipped) and message. Default false. */
    public B logResponses(Boolean logResponses) {
        this.logResponses = logResponses;
        return self();
    }

    /** The SLF4J logger for {@link #logRequests} and {@link #logResponses}; default the chat model class's logger. */
    public B logger(Logger logger) {
        this.logger = logger;
        return self();
    }
}

package dev.ffnskip.langchain4j;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.constrain.JsonConstraint;
import dev.ffnskip.jlama.constrain.ToolCallConstraint;
import dev.ffnskip.jlama.ModelBusyException;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.GateSettings;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.ffnskip.jlama.generate.TokenConstraint;
import dev.ffnskip.jlama.generate.TokenListener;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.jlama.load.ModelLoadException;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.slf4j.LoggerFactory;

/**
 * What both chat models share: the loaded model, the resolved defaults and the translation between LangChain4j
 * requests/responses and {@link FfnSkipModel} generations. Immutable and thread-safe; {@link FfnSkipModel} serializes
 * the generations themselves.
 */
final class ChatEngine {
    /** {@code JlamaChatModel}'s default temperature. */
    static final double DEFAULT_TEMPERATURE = 0.3;

    private final FfnSkipModel model;
    private final boolean ownsModel;
    private final String modelName;
    private final PromptSupport promptSupport;
    /** Whether the chat template can show tools ({@link PromptRenderer#rendersTools}); without, tools are refused. */
    private final boolean toolFormat;
    private final GateSettings configured;
    private final GatePolicy defaultPolicy;
    private final FfnSkipChatRequestParameters defaults;
    private final List<ChatModelListener> listeners;
    private final RequestLog log;

    private ChatEngine(
        FfnSkipModel model,
        boolean ownsModel,
        String modelName,
        PromptSupport promptSupport,
        boolean toolFormat,
        GateSettings configured,
        FfnSkipChatRequestParameters defaults,
        List<ChatModelListener> listeners,
        RequestLog log
    ) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.modelName = modelName;
        this.promptSupport = promptSupport;
        this.toolFormat = toolFormat;
        this.configured = configured;
        this.defaultPolicy = configured.resolve(model.defaultPolicy().policy());
        this.defaults = defaults;
        this.listeners = listeners;
        this.log = log;
    }

    /** A request ready to run: its prompt ids, generation settings and whether tools were offered. */
    record Prepared(int[] promptIds, GenerationRequest generation, GatePolicy policy, boolean toolsOffered) {}

    // ---------------------------------------------------------------------------------------------------------------
    // Building

    static ChatEngine create(FfnSkipModelBuilder<?> b, Class<?> modelClass) {
        List<ChatModelListener> listeners = List.copyOf(b.listeners);
        // Cheap checks first, so a bad value fails before seconds of loading.
        FfnSkipChatRequestParameters builderValues = builderParameters(b);
        ChatRequestParameters given = b.defaultRequestParameters;
        FfnSkipChatRequestParameters layered = FfnSkipChatRequestParameters.builder()
            .overrideWith(given)
            .overrideWith(builderValues)
            .build();
        // Bad or conflicting skip settings fail here, before loading; the depth check needs the model.
        GateSettings configured = layered.gateSettings();
        checkSupported(layered);
        validateScalars(layered);

        ModelHandle handle = loadModel(b);
        try {
            FfnSkipModel model = handle.model();
            PromptSupport promptSupport = model.promptSupport().orElseThrow(() -> new ModelLoadException(
                "Model " + model.info().sourcePath() + " has no chat template (tokenizer_config.json chat_template), so it cannot be used as a chat model"
            ));
            String name = b.modelName != null && b.model == null && b.modelPath == null ? b.modelName.strip() : model.info().name();
            configured.resolve(model.defaultPolicy().policy()).newGate(model.info().layers()); // validates against the depth
            if (layered.modelName() != null && !layered.modelName().equals(name)) {
                throw modelNameNotSupported("in defaultRequestParameters", layered.modelName(), name);
            }
            FfnSkipChatRequestParameters defaults = FfnSkipChatRequestParameters.builder()
                .modelName(name)
                .temperature(DEFAULT_TEMPERATURE)
                .maxOutputTokens(model.info().contextLength())
                .overrideWith(layered)
                .clearSkipSettings()
                .build();
            RequestLog log = new RequestLog(
                b.logger != null ? b.logger : LoggerFactory.getLogger(modelClass),
                Boolean.TRUE.equals(b.logRequests),
                Boolean.TRUE.equals(b.logResponses)
            );
            boolean toolFormat = PromptRenderer.rendersTools(promptSupport);
            return new ChatEngine(model, handle.owned(), name, promptSupport, toolFormat, configured, defaults, listeners, log);
        } catch (RuntimeException | Error e) {
            if (handle.owned()) handle.model().close();
            throw e;
        }
    }

    /** The builder's own settings as one parameter layer; {@code gatePolicy} and {@code skipPolicy} are both a policy. */
    private static FfnSkipChatRequestParameters builderParameters(FfnSkipModelBuilder<?> b) {
        if (b.gatePolicy != null && b.skipPolicy != null) {
            throw new IllegalArgumentException("Conflicting skip settings: set gatePolicy or skipPolicy, not both");
        }
        FfnSkipChatRequestParameters.Builder p = FfnSkipChatRequestParameters.builder()
            .temperature(b.temperature)
            .maxOutputTokens(b.maxTokens)
            .topP(b.topP)
            .topK(b.topK)
            .stopSequences(b.stopSequences)
            .seed(b.seed)
            .gatePolicy(b.gatePolicy != null ? b.gatePolicy : b.skipPolicy)
            .skipEnabled(b.skipEnabled)
            .skipThreshold(b.skipThreshold)
            .maxSkipFraction(b.maxSkipFraction)
            .protectFirst(b.protectFirst)
            .protectLast(b.protectLast)
            .warmupTokens(b.warmupTokens)
            .strictTools(b.strictTools);
        return p.build();
    }

    private record ModelHandle(FfnSkipModel model, boolean owned) {}

    private static ModelHandle loadModel(FfnSkipModelBuilder<?> b) {
        boolean hasLoadOptions = b.threadCount != null || b.workingDirectory != null || b.workingQuantizedType != null
            || b.quantizeModelAtRuntime != null || b.quantizationCachePath != null || b.quantizeHeadInput != null
            || b.decodeKernels != null;
        if (b.model != null) {
            if (b.modelPath != null || b.modelName != null) {
                throw new IllegalArgumentException("Set either model(FfnSkipModel) or modelPath/modelName, not both");
            }
            if (hasLoadOptions || b.shareModel != null || b.modelCachePath != null) {
                throw new IllegalArgumentException(
                    "model(FfnSkipModel) gives an already loaded model; threadCount, workingDirectory, workingQuantizedType, "
                        + "quantizeModelAtRuntime, quantizationCachePath, quantizeHeadInput, decodeKernels, modelCachePath and shareModel cannot apply to it"
                );
            }
            return new ModelHandle(b.model, false);
        }
        if (b.modelPath != null && b.modelName != null) {
            throw new IllegalArgumentException("Set either modelPath (a local folder) or modelName (a Hugging Face id), not both");
        }
        Path folder;
        if (b.modelPath != null) {
            folder = b.modelPath;
        } else if (b.modelName != null) {
            folder = ModelLocator.locate(b.modelName, b.modelCachePath, b.authToken, b.allowDownload == null || b.allowDownload);
        } else {
            throw new IllegalArgumentException("No model: set modelPath(Path) to a local model folder, modelName(String) to a Hugging Face id, or model(FfnSkipModel)");
        }
        LoadOptions.Builder options = LoadOptions.builder();
        if (b.workingQuantizedType != null) options.workingQuantizationType(b.workingQuantizedType);
        if (b.quantizeModelAtRuntime != null) options.quantizeToQ4(b.quantizeModelAtRuntime);
        if (b.quantizationCachePath != null) options.cacheDirectory(b.quantizationCachePath);
        if (b.quantizeHeadInput != null) options.quantizeHeadInput(b.quantizeHeadInput);
        if (b.decodeKernels != null) options.decodeKernels(b.decodeKernels);
        options.threadCount(b.threadCount).workingDirectory(b.workingDirectory);
        LoadOptions loadOptions = options.build();
        if (b.shareModel == null || b.shareModel) return new ModelHandle(FfnSkipModels.shared(folder, loadOptions), false);
        return new ModelHandle(FfnSkipModel.load(folder, loadOptions), true);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Requests

    FfnSkipModel model() {
        return model;
    }

    String modelName() {
        return modelName;
    }

    boolean toolFormat() {
        return toolFormat;
    }

    FfnSkipChatRequestParameters defaults() {
        return defaults;
    }

    GatePolicy defaultPolicy() {
        return defaultPolicy;
    }

    /** The policy's description; for the model's own default also why it has that default (e.g. running dense, uncalibrated). */
    private String describe(GatePolicy policy) {
        var choice = model.defaultPolicy();
        return policy == choice.policy() ? policy.describe() + " (model default: " + choice.reason() + ")" : policy.describe();
    }

    /** The gate of one request: its skip settings over the configured ones, by {@link GateSettings}' one rule. */
    GatePolicy requestPolicy(FfnSkipChatRequestParameters p) {
        if (!p.hasSkipSettings()) return defaultPolicy;
        return p.gateSettingsOver(configured).resolve(model.defaultPolicy().policy());
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * Validates the request, renders and encodes its prompt and resolves its generation settings; logs the request if
     * asked to. Whatever is wrong with the request is thrown from here, on the caller's thread:
     * {@link UnsupportedFeatureException} for what this provider cannot do, {@link InvalidRequestException} for bad
     * values and conversations ({@link ContextLengthExceededException} for a prompt that does not fit).
     */
    Prepared prepare(ChatRequest request) {
        // chat() has merged the defaults already; merging again is a no-op then and makes doChat() safe to call directly.
        FfnSkipChatRequestParameters p = defaults.overrideWith(request.parameters());
        if (p.modelName() != null && !p.modelName().equals(modelName)) throw modelNameNotSupported("request parameter", p.modelName(), modelName);
        checkSupported(p);
        GatePolicy policy;
        GenerationRequest generation;
        int context = model.info().contextLength();
        JsonConstraint responseFormat = ResponseFormats.constraint(p.responseFormat());
        List<ToolSpecification> tools = p.toolChoice() == ToolChoice.NONE ? List.of() : p.toolSpecifications();
        if (!toolFormat) PromptRenderer.refuseTools(modelName, request.messages(), tools);
        if (responseFormat != null && !tools.isEmpty()) {
            throw new UnsupportedFeatureException(
                "A JSON response format together with tools is not supported by the ffn-skip chat model yet: the constrained "
                    + "answer could not be a tool call (send the tools and the response format in separate requests, or use ToolChoice.NONE; "
                    + "strictTools constrains the tool calls themselves)"
            );
        }
        if (p.toolChoice() == ToolChoice.REQUIRED && tools.isEmpty()) {
            throw new InvalidRequestException("ToolChoice.REQUIRED needs at least one tool in toolSpecifications");
        }
        TokenConstraint constraint = responseFormat != null ? responseFormat
            : strict(p) && !tools.isEmpty() ? StrictTools.constraint(tools, p.toolChoice() == ToolChoice.REQUIRED)
            : null;
        try {
            validateScalars(p);
            policy = requestPolicy(p);
            policy.newGate(model.info().layers()); // validates against the depth before any work
            if (p.maxOutputTokens() != null && p.maxOutputTokens() > context) {
                throw new IllegalArgumentException(
                    "maxOutputTokens (maxTokens) " + p.maxOutputTokens() + " exceeds the model's context window of " + context + " tokens"
                );
            }
            generation = GenerationRequest.builder()
                .maxNewTokens(p.maxOutputTokens())
                .temperature(p.temperature())
                .topP(p.topP())
                .topK(p.topK())
                .seed(p.seed())
                .stopSequences(p.stopSequences())
                .gate(policy)
                .constraint(constraint)
                .build();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
        PromptContext prompt = PromptRenderer.render(promptSupport, request.messages(), tools);
        int[] ids = model.encode(prompt);
        log.request(modelName, request, prompt.getPrompt(), ids.length);
        if (ids.length > context) throw new ContextLengthExceededException(new PromptTooLongException(ids.length, context));
        return new Prepared(ids, generation, policy, !tools.isEmpty());
    }

    /**
     * Runs a prepared request on the model (waiting for it in line). A full queue becomes LangChain4j's retriable
     * {@link RateLimitException}, the cause being jlama-patch's {@link ModelBusyException}.
     */
    GenerationResult generate(Prepared prepared, TokenListener listener, BooleanSupplier cancelled) {
        try {
            return model.generate(prepared.promptIds(), prepared.generation(), listener, cancelled);
        } catch (ModelBusyException e) {
            throw new RateLimitException(e.getMessage(), e);
        }
    }

    private static UnsupportedFeatureException modelNameNotSupported(String where, String requested, String served) {
        return new UnsupportedFeatureException(
            "'modelName' '" + requested + "' (" + where + ") is not supported: the ffn-skip provider does not support "
                + "switching models; this chat model serves '" + served + "' (choose the model with the builder's modelPath, modelName or model)"
        );
    }

    private static boolean strict(FfnSkipChatRequestParameters p) {
        return Boolean.TRUE.equals(p.strictTools());
    }

    /** The features no model can honour here; checked before a builder loads anything. */
    private static void checkSupported(FfnSkipChatRequestParameters p) {
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0.0) {
            throw new UnsupportedFeatureException("'frequencyPenalty' parameter is not supported by the ffn-skip chat model");
        }
        if (p.presencePenalty() != null && p.presencePenalty() != 0.0) {
            throw new UnsupportedFeatureException("'presencePenalty' parameter is not supported by the ffn-skip chat model");
        }
        ResponseFormats.constraint(p.responseFormat()); // a schema construct decoding cannot enforce fails here, before any work
        if (p.toolChoice() == ToolChoice.REQUIRED && !strict(p)) {
            throw new UnsupportedFeatureException(
                "ToolChoice.REQUIRED is not supported by the ffn-skip chat model without strictTools: only constrained decoding can force "
                    + "the model to call a tool (set strictTools(true) on the builder or in FfnSkipChatRequestParameters; AUTO and NONE work either way)"
            );
        }
        if (strict(p) && p.toolChoice() != ToolChoice.NONE && !p.toolSpecifications().isEmpty()) {
            StrictTools.constraint(p.toolSpecifications(), false); // a parameter schema decoding cannot enforce fails here, before any work
        }
    }

    private static void validateScalars(ChatRequestParameters p) {
        if (p.temperature() != null && !(p.temperature() >= 0 && Double.isFinite(p.temperature()))) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + p.temperature());
        }
        if (p.topP() != null && !(p.topP() > 0 && p.topP() <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], was " + p.topP());
        if (p.topK() != null && p.topK() < 1) throw new IllegalArgumentException("topK must be >= 1, was " + p.topK());
        if (p.maxOutputTokens() != null && p.maxOutputTokens() < 1) {
            throw new IllegalArgumentException("maxOutputTokens (maxTokens) must be >= 1, was " + p.maxOutputTokens());
        }
        for (String stop : p.stopSequences()) {
            if (stop == null || stop.isEmpty()) throw new IllegalArgumentException("stopSequences must not contain empty strings");
        }
    }

    /** The LangChain4j response for a finished generation: a tool call (when tools were offered) or a text answer. */
    ChatResponse respond(Prepared prepared, GenerationResult result) {
        return respond(prepared, result, index -> ToolCallParser.newCallId());
    }

    /** As {@link #respond(Prepared, GenerationResult)}; tool call {@code i} gets the id {@code callIds.apply(i)}. */
    ChatResponse respond(Prepared prepared, GenerationResult result, IntFunction<String> callIds) {
        Optional<List<ToolExecutionRequest>> calls = prepared.toolsOffered() && result.finishReason() != dev.ffnskip.jlama.generate.FinishReason.CANCELLED
            ? ToolCallParser.parse(result.text(), callIds)
            : Optional.empty();
        AiMessage message = calls.map(AiMessage::from).orElseGet(() -> AiMessage.from(result.text()));
        FinishReason finishReason = calls.isPresent() ? FinishReason.TOOL_EXECUTION : finishReason(result.finishReason());
        FfnSkipChatResponseMetadata metadata = FfnSkipChatResponseMetadata.builder()
            .id("ffnskip-" + UUID.randomUUID())
            .modelName(modelName)
            .tokenUsage(new TokenUsage(result.promptTokens(), result.generatedTokens()))
            .finishReason(finishReason)
            .engineFinishReason(result.finishReason())
            .skipPolicy(describe(prepared.policy()))
            .stats(result.stats())
            .tokenIds(result.tokenIds())
            .structuredOutput(prepared.generation().constraint() == null ? null : prepared.generation().constraint().kind())
            .note(incompleteNote(prepared, result))
            .build();
        ChatResponse response = ChatResponse.builder().aiMessage(message).metadata(metadata).build();
        log.response(modelName, response);
        return response;
    }

    /**
     * Says so when a constrained JSON value (or a strict tool call) was cut off (token limit, context window,
     * cancellation): the text will not parse. A text answer under strict tools is not constrained and gets no note.
     */
    static String incompleteNote(Prepared prepared, GenerationResult result) {
        TokenConstraint constraint = prepared.generation().constraint();
        if (constraint == null) return null;
        String what = "the JSON value";
        if (constraint instanceof ToolCallConstraint) {
            if (!result.text().replaceFirst("^[ \\t\\r\\n]+", "").startsWith("{")) return null;
            what = "the tool call";
        }
        return switch (result.finishReason()) {
            case STOP_TOKEN -> null;
            case MAX_TOKENS -> what + " is incomplete: generation hit maxOutputTokens (" + result.generatedTokens() + " tokens) before the value was closed";
            case CONTEXT_LENGTH -> what + " is incomplete: the context window filled before the value was closed";
            case STOP_SEQUENCE -> what + " may be incomplete: a stop sequence cut the output";
            case CANCELLED -> what + " is incomplete: the generation was cancelled";
        };
    }

    /** LangChain4j's finish reason for an engine finish reason (tool calls are decided by the caller). */
    static FinishReason finishReason(dev.ffnskip.jlama.generate.FinishReason reason) {
        return switch (reason) {
            case STOP_TOKEN, STOP_SEQUENCE -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_LENGTH -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    void close() {
        if (ownsModel) model.close();
    }
}

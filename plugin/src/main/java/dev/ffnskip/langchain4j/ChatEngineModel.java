package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.List;
import java.util.Set;

/**
 * What {@link FfnSkipChatModel} and {@link FfnSkipStreamingChatModel} share: both are a {@link ChatEngine} seen through
 * one of LangChain4j's two chat interfaces, so the interface methods they have in common are answered here once.
 */
abstract class ChatEngineModel implements AutoCloseable {
    final ChatEngine engine;

    ChatEngineModel(ChatEngine engine) {
        this.engine = engine;
    }

    public FfnSkipChatRequestParameters defaultRequestParameters() {
        return engine.defaults();
    }

    public List<ChatModelListener> listeners() {
        return engine.listeners();
    }

    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /**
     * {@link Capability#RESPONSE_FORMAT_JSON_SCHEMA}: JSON response formats are enforced by constrained decoding, so
     * AiServices sends the schema of a record or POJO return type and appends no format instructions.
     */
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /**
     * Whether tools can be offered to this model: its chat template has a tool format (it shows the tools and the
     * arguments of tool calls). Without one, requests with tools, tool calls or tool results are refused with
     * {@link dev.langchain4j.exception.UnsupportedFeatureException}. LangChain4j has no {@link Capability} for tools.
     */
    public boolean supportsTools() {
        return engine.toolFormat();
    }

    /** The gate this chat model uses when a request sets no skip settings. */
    public GatePolicy defaultGatePolicy() {
        return engine.defaultPolicy();
    }

    /** The loaded model (shared unless built with {@code shareModel(false)}), e.g. for {@link FfnSkipModel#info()}. */
    public FfnSkipModel model() {
        return engine.model();
    }

    ChatEngine engine() {
        return engine;
    }

    /** Releases the model if this chat model loaded its own copy ({@code shareModel(false)}); shared models stay loaded. */
    @Override
    public void close() {
        engine.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{model=" + engine.modelName() + ", skipPolicy=" + engine.defaultPolicy().describe() + "}";
    }
}

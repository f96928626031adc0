package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.TokenListener;
import dev.ffnskip.langchain4j.spi.FfnSkipChatModelBuilderFactory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.spi.ServiceHelper;

/**
 * A LangChain4j {@link ChatModel} running a local Llama-family model with Jlama, skipping FFN blocks per token once the
 * residual stream saturates (FFN-SkipLLM). A drop-in replacement for {@code JlamaChatModel}: its builder accepts the
 * same options.
 *
 * <pre>{@code
 * ChatModel model = FfnSkipChatModel.builder()
 *     .modelPath(Path.of("models/skipbench-28m"))
 *     .temperature(0.0f)
 *     .build();
 * }</pre>
 *
 * <p>It overrides {@link #doChat}, so LangChain4j's {@link ChatModel#chat(ChatRequest)} (and
 * {@code chat(ChatRequest, ChatRequestOptions)}) merges the {@link #defaultRequestParameters()} into each request and
 * calls the {@link #listeners()}. Responses carry {@link FfnSkipChatResponseMetadata}.
 *
 * <p><b>Errors</b> are LangChain4j's types: {@link dev.langchain4j.exception.UnsupportedFeatureException} for what the
 * provider cannot do, {@link dev.langchain4j.exception.InvalidRequestException} for bad values, conversations and
 * prompts too long for the context ({@link ContextLengthExceededException}), the retriable
 * {@link dev.langchain4j.exception.RateLimitException} when the model's queue is full.
 *
 * <p><b>Threads.</b> Instances are immutable and thread-safe. One model runs one generation at a time (Jlama's layers
 * share scratch buffers): concurrent calls wait in FIFO order inside {@link FfnSkipModel}, and every request gets its
 * own KV cache, released when it ends. Interrupting a running caller stops its generation after the current token
 * (finish reason {@code OTHER}); interrupting a waiting caller makes it fail with an {@link IllegalStateException}.
 */
public class FfnSkipChatModel extends ChatEngineModel implements ChatModel {
    protected FfnSkipChatModel(Builder builder) {
        super(ChatEngine.create(builder, FfnSkipChatModel.class));
    }

    /**
     * A new builder; an {@link FfnSkipChatModelBuilderFactory} registered with {@link java.util.ServiceLoader} may
     * supply it instead (as {@code JlamaChatModel.builder()} allows).
     */
    public static Builder builder() {
        for (FfnSkipChatModelBuilderFactory factory : ServiceHelper.loadFactories(FfnSkipChatModelBuilderFactory.class)) {
            return factory.get();
        }
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        ChatEngine.Prepared prepared = engine.prepare(chatRequest);
        Thread caller = Thread.currentThread();
        GenerationResult result = engine.generate(prepared, TokenListener.NONE, caller::isInterrupted);
        return engine.respond(prepared, result);
    }

    /** Builder of {@link FfnSkipChatModel}; public so that an {@link FfnSkipChatModelBuilderFactory} can extend it. */
    public static class Builder extends FfnSkipModelBuilder<Builder> {
        public Builder() {}

        public FfnSkipChatModel build() {
            return new FfnSkipChatModel(this);
        }
    }
}

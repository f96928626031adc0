package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.spi.FfnSkipStreamingChatModelBuilderFactory;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.spi.ServiceHelper;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LangChain4j {@link StreamingChatModel} running a local Llama-family model with Jlama and FFN skipping; a drop-in
 * replacement for {@code JlamaStreamingChatModel}.
 *
 * <p>{@code chat(request, handler)} validates the request and renders the prompt on the calling thread, then returns;
 * the generation runs on the {@linkplain Builder#executor(Executor) executor} and calls the handler from there:
 * {@code onPartialResponse} once per decoded text piece (UTF-8 assembled, never empty), then
 * {@code onCompleteToolCall} for each tool call, then {@code onCompleteResponse} with {@link FfnSkipChatResponseMetadata}.
 * Any failure, including a bad request, reaches {@code onError} instead; the first exception a handler callback throws
 * cancels the generation at the next token and is passed to {@code onError}. {@code PartialResponseContext}'s
 * streaming handle cancels the generation too (no further callbacks).
 *
 * <p>Do not call the same model synchronously from inside {@code onPartialResponse}: the model is busy with the
 * generation that called you. {@code onCompleteResponse}, {@code onCompleteToolCall} and {@code onError} run after
 * the model was released, so AiServices' tool loop works.
 *
 * <p><b>Threads.</b> Instances are immutable and thread-safe; generations on one model are serialized in FIFO order
 * by {@link FfnSkipModel}, each with its own KV cache.
 */
public class FfnSkipStreamingChatModel extends ChatEngineModel implements StreamingChatModel {
    private static final Logger logger = LoggerFactory.getLogger(FfnSkipStreamingChatModel.class);

    private final Executor executor;

    protected FfnSkipStreamingChatModel(Builder builder) {
        super(ChatEngine.create(builder));
        this.executor = builder.executor != null ? builder.executor : DefaultExecutor.INSTANCE;
    }

    /**
     * A new builder; an {@link FfnSkipStreamingChatModelBuilderFactory} registered with {@link java.util.ServiceLoader}
     * may supply it instead.
     */
    public static Builder builder() {
        for (FfnSkipStreamingChatModelBuilderFactory factory : ServiceHelper.loadFactories(FfnSkipStreamingChatModelBuilderFactory.class)) {
            return factory.get();
        }
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        if (handler == null) throw new IllegalArgumentException("handler must not be null");
        StreamingGeneration generation;
        try {
            generation = new StreamingGeneration(engine, engine.prepare(chatRequest), handler);
        } catch (RuntimeException e) {
            fail(handler, e);
            return;
        }
        try {
            executor.execute(generation);
        } catch (RuntimeException rejected) {
            fail(handler, rejected);
        }
    }

    private static void fail(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            logger.warn("StreamingChatResponseHandler.onError threw; ignored", e);
        }
    }

    /** Builder of {@link FfnSkipStreamingChatModel}; public so that a {@link FfnSkipStreamingChatModelBuilderFactory} can extend it. */
    public static class Builder extends FfnSkipModelBuilder<Builder> {
        private Executor executor;

        public Builder() {}

        /**
         * Where generations run and handlers are called; default a shared pool of daemon threads. {@code Runnable::run}
         * streams on the calling thread ({@code chat} then returns when the response is complete).
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        public FfnSkipStreamingChatModel build() {
            return new FfnSkipStreamingChatModel(this);
        }
    }

    /** Daemon threads, created on demand and reused; idle ones end after a minute. */
    private static final class DefaultExecutor {
        static final ExecutorService INSTANCE = Executors.newCachedThreadPool(new ThreadFactory() {
            private final AtomicInteger count = new AtomicInteger();

            @Override
            public Thread newThread(Runnable r) {
                Thread t = new Thread(r, "ffn-skip-streaming-" + count.incrementAndGet());
                t.setDaemon(true);
                return t;
            }
        });
    }
}

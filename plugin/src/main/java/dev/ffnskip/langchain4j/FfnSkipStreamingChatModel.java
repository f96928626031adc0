package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.spi.FfnSkipStreamingChatModelBuilderFactory;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
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
 * <p>{@code chat(request, handler)} validates the request and renders and tokenizes the prompt on the calling thread:
 * what is wrong with the request is thrown from {@code chat} itself, as {@link FfnSkipChatModel} throws it
 * ({@link dev.langchain4j.exception.UnsupportedFeatureException},
 * {@link dev.langchain4j.exception.InvalidRequestException}); listeners see {@code onRequest} and {@code onError} for
 * it, the handler nothing. Otherwise {@code chat} returns at once and the generation runs on the
 * {@linkplain Builder#executor(Executor) executor}, calling the handler from there: {@code onPartialResponse} once per
 * decoded text piece (UTF-8 assembled, never empty); for a tool call {@code onPartialToolCall} as its arguments are
 * decoded and {@code onCompleteToolCall} at the end; then {@code onCompleteResponse} with
 * {@link FfnSkipChatResponseMetadata}. Failures from then on ({@link dev.langchain4j.exception.RateLimitException} when
 * the model's queue is full, an executor that rejects the task, ...) reach {@code onError}.
 *
 * <p>LangChain4j's handler contract: an exception thrown by a handler callback is passed to {@code onError} and the
 * stream goes on (an exception from {@code onError} is logged and ignored); an {@link Error} ends the stream (the
 * generation is cancelled, {@code onError} gets it, nothing follows). {@code PartialResponseContext}'s streaming
 * handle cancels the generation, with no further callbacks.
 *
 * <p>Do not call the same model synchronously from inside {@code onPartialResponse} or {@code onPartialToolCall}: the
 * model is busy with the generation that called you. {@code onCompleteResponse}, {@code onCompleteToolCall} and
 * {@code onError} run after the model was released, so AiServices' tool loop works.
 *
 * <p><b>Threads.</b> Instances are immutable and thread-safe; generations on one model are serialized in FIFO order
 * by {@link FfnSkipModel}, each with its own KV cache.
 */
public class FfnSkipStreamingChatModel extends ChatEngineModel implements StreamingChatModel {
    private static final Logger logger = LoggerFactory.getLogger(FfnSkipStreamingChatModel.class);

    /** The handler of the {@code chat} call whose {@code doChat} is about to run on this thread (see {@link #chat}). */
    private static final ThreadLocal<RejectingHandler> PENDING = new ThreadLocal<>();

    private final Executor executor;

    protected FfnSkipStreamingChatModel(Builder builder) {
        super(ChatEngine.create(builder, FfnSkipStreamingChatModel.class));
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

    /**
     * LangChain4j's {@code chat} (default parameters merged, listeners called, then {@link #doChat}), with one addition:
     * a request that {@code doChat} rejects is reported to the listeners' {@code onError} before it is thrown, as
     * {@link FfnSkipChatModel} does, but not to {@code handler}. Every {@code chat} overload ends here.
     */
    @Override
    public void chat(ChatRequest request, ChatRequestOptions options, StreamingChatResponseHandler handler) {
        if (handler == null) throw new IllegalArgumentException("handler must not be null");
        RejectingHandler guarded = new RejectingHandler(handler);
        RejectingHandler outer = PENDING.get();
        PENDING.set(guarded);
        try {
            StreamingChatModel.super.chat(request, options, guarded);
        } finally {
            if (outer == null) PENDING.remove();
            else PENDING.set(outer);
        }
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        if (handler == null) throw new IllegalArgumentException("handler must not be null");
        RejectingHandler guarded = PENDING.get();
        PENDING.remove(); // a nested chat() from a callback on this thread must not see it
        StreamingGeneration generation;
        try {
            generation = new StreamingGeneration(engine, engine.prepare(chatRequest), handler);
        } catch (RuntimeException rejected) {
            if (guarded != null) guarded.reject(rejected, handler);
            throw rejected;
        }
        try {
            executor.execute(generation);
        } catch (RuntimeException refused) {
            fail(handler, refused);
        }
    }

    private static void fail(StreamingChatResponseHandler handler, Throwable error) {
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            logger.warn("StreamingChatResponseHandler.onError threw; ignored", e);
        }
    }

    /**
     * The caller's handler, as passed to LangChain4j's {@code chat}; when a request is rejected, the {@code onError}
     * that comes back through LangChain4j's listener-calling handler (listeners first) stops here.
     */
    private static final class RejectingHandler implements StreamingChatResponseHandler {
        private final StreamingChatResponseHandler delegate;
        private volatile Throwable rejected;

        RejectingHandler(StreamingChatResponseHandler delegate) {
            this.delegate = delegate;
        }

        /** Tells the listeners about {@code error} through {@code observing}, without calling the caller's handler. */
        void reject(Throwable error, StreamingChatResponseHandler observing) {
            rejected = error;
            try {
                observing.onError(error);
            } catch (RuntimeException e) {
                logger.warn("A ChatModelListener failed on a rejected request; ignored", e);
            }
        }

        @Override
        public void onError(Throwable error) {
            if (error != null && error == rejected) return;
            delegate.onError(error);
        }

        @Override
        public void onPartialResponse(String partialResponse) {
            delegate.onPartialResponse(partialResponse);
        }

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            delegate.onPartialResponse(partialResponse, context);
        }

        @Override
        public void onPartialThinking(PartialThinking partialThinking) {
            delegate.onPartialThinking(partialThinking);
        }

        @Override
        public void onPartialThinking(PartialThinking partialThinking, PartialThinkingContext context) {
            delegate.onPartialThinking(partialThinking, context);
        }

        @Override
        public void onPartialToolCall(PartialToolCall partialToolCall) {
            delegate.onPartialToolCall(partialToolCall);
        }

        @Override
        public void onPartialToolCall(PartialToolCall partialToolCall, PartialToolCallContext context) {
            delegate.onPartialToolCall(partialToolCall, context);
        }

        @Override
        public void onCompleteToolCall(CompleteToolCall completeToolCall) {
            delegate.onCompleteToolCall(completeToolCall);
        }

        @Override
        public void onUnmappedRawEvent(Object rawEvent) {
            delegate.onUnmappedRawEvent(rawEvent);
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            delegate.onCompleteResponse(completeResponse);
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

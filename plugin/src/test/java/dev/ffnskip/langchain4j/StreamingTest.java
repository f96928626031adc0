package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.generate.FinishReason;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming: piece by piece, same metadata, errors always reach onError, a throwing handler stops the generation. */
class StreamingTest {
    /** Genesis 1:1 onwards: the model keeps going for a long time, so stopping early is visible. */
    private static final String LONG_ANSWER = "Recite the first verse of the book of Genesis and go on.";

    private static FfnSkipStreamingChatModel model;

    @BeforeAll
    static void setUp() {
        model = TestSupport.streamingModelBuilder().build();
    }

    @Test
    void piecesAreNonEmptyAndAddUpToTheAnswer() {
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        model.chat(RequestParametersTest.SUMMARY_PROMPT, handler);
        ChatResponse response = handler.await();
        assertThat(handler.partials).hasSizeGreaterThan(3).allSatisfy(piece -> assertThat(piece).isNotEmpty());
        assertThat(handler.text()).isEqualTo(response.aiMessage().text()).isEqualTo("One to whom something is addressed.");
        assertThat(handler.events.get(handler.events.size() - 1)).isEqualTo("complete");
        assertThat(handler.events).filteredOn("complete"::equals).hasSize(1);
        FfnSkipChatResponseMetadata metadata = (FfnSkipChatResponseMetadata) response.metadata();
        assertThat(metadata.ffnSkipped()).isPositive();
        assertThat(metadata.finishReason()).isEqualTo(dev.langchain4j.model.output.FinishReason.STOP);
    }

    @Test
    void callsBackFromAnotherThreadAndReturnsAtOnce() throws Exception {
        Thread caller = Thread.currentThread();
        List<Thread> callbackThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler() {
            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                callbackThreads.add(Thread.currentThread());
                super.onCompleteResponse(completeResponse);
            }
        };
        model.chat(RequestParametersTest.IRON, handler);
        assertThat(handler.await().aiMessage().text()).isEqualTo("Fe");
        assertThat(callbackThreads).hasSize(1).doesNotContain(caller);
        assertThat(callbackThreads.get(0).getName()).startsWith("ffn-skip-streaming-");
    }

    /** Throws from the first piece on. */
    static class ThrowingHandler extends TestSupport.RecordingHandler {
        final RuntimeException failure = new IllegalStateException("handler broke");

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            super.onPartialResponse(partialResponse, context);
            throw failure;
        }
    }

    @Test
    void aThrowingHandlerStopsTheGenerationAndGetsItsErrorBack() {
        ChatEngine engine = model.engine();
        ThrowingHandler handler = new ThrowingHandler();
        StreamingGeneration generation = new StreamingGeneration(
            engine,
            engine.prepare(ChatRequest.builder().messages(UserMessage.from(LONG_ANSWER)).build()),
            handler
        );
        generation.run();
        assertThat(handler.error).isSameAs(handler.failure);
        assertThat(handler.events).containsExactly("partial", "error");
        // Cancelled at the token after the one that produced the failing piece.
        assertThat(generation.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(generation.result().generatedTokens()).isLessThanOrEqualTo(2);

        // Through the public API, on the model's own executor.
        ThrowingHandler viaModel = new ThrowingHandler();
        model.chat(LONG_ANSWER, viaModel);
        assertThat(viaModel.awaitError()).isSameAs(viaModel.failure);
        assertThat(viaModel.partials).hasSize(1);

        assertNextRequestIsCorrect();
    }

    @Test
    void theStreamingHandleCancelsWithoutFurtherCallbacks() {
        AtomicInteger pieces = new AtomicInteger();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler() {
            @Override
            public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
                super.onPartialResponse(partialResponse, context);
                if (pieces.incrementAndGet() == 3) context.streamingHandle().cancel();
            }
        };
        // Runnable::run streams on this thread, so chat() returns when the stream has ended.
        FfnSkipStreamingChatModel synchronous = TestSupport.streamingModelBuilder().executor(Runnable::run).build();
        synchronous.chat(LONG_ANSWER, handler);
        assertThat(handler.partials).hasSize(3);
        assertThat(handler.events).containsExactly("partial", "partial", "partial");
        assertNextRequestIsCorrect();
    }

    @Test
    void badRequestsAndEngineErrorsGoToOnError() {
        RequestParametersTest.RecordingListener listener = new RequestParametersTest.RecordingListener();
        FfnSkipStreamingChatModel listened = TestSupport.streamingModelBuilder().listeners(listener).build();

        TestSupport.RecordingHandler unknownId = new TestSupport.RecordingHandler();
        listened.chat(List.of(UserMessage.from("hi"), ToolExecutionResultMessage.from("nope", "add", "82")), unknownId);
        assertThat(unknownId.awaitError()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown tool call id 'nope'");

        TestSupport.RecordingHandler tooLong = new TestSupport.RecordingHandler();
        listened.chat("word ".repeat(3000), tooLong);
        assertThat(tooLong.awaitError()).isInstanceOf(PromptTooLongException.class).hasMessageContaining("context window");

        assertThat(listener.errors).hasSize(2);
        assertThat(listener.responses).isEmpty();

        TestSupport.RecordingHandler ok = new TestSupport.RecordingHandler();
        listened.chat(RequestParametersTest.IRON, ok);
        assertThat(ok.await().aiMessage().text()).isEqualTo("Fe");
        assertThat(listener.responses).hasSize(1);
        assertThat(listener.responses.get(0).chatResponse().metadata()).isInstanceOf(FfnSkipChatResponseMetadata.class);
    }

    @Test
    void anAiMessageWithTextIsRenderedAsAnAssistantTurn() {
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        model.chat(List.of(UserMessage.from("Hello"), AiMessage.from("Hello."), UserMessage.from(RequestParametersTest.IRON)), handler);
        assertThat(handler.await().aiMessage().text()).isEqualTo("Fe");
    }

    private static void assertNextRequestIsCorrect() {
        TestSupport.RecordingHandler next = new TestSupport.RecordingHandler();
        model.chat(RequestParametersTest.IRON, next);
        assertThat(next.await().aiMessage().text()).isEqualTo("Fe");
    }
}

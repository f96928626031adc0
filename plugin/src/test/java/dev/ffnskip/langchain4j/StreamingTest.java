package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.generate.FinishReason;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Streaming: piece by piece, same metadata; bad requests thrown from chat(); LangChain4j's handler contract (an
 * exception from a callback goes to onError and the stream goes on); cancellation.
 */
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

    /** Throws from every piece: LangChain4j's contract is onError for each, and the stream goes on to its end. */
    static class ThrowingHandler extends TestSupport.RecordingHandler {
        final RuntimeException failure = new IllegalStateException("handler broke");
        final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            super.onPartialResponse(partialResponse, context);
            throw failure;
        }

        @Override
        public void onError(Throwable error) {
            events.add("error");
            errors.add(error);
        }
    }

    @Test
    void anExceptionFromOnPartialResponseGoesToOnErrorAndTheStreamGoesOn() {
        RequestParametersTest.RecordingListener listener = new RequestParametersTest.RecordingListener();
        FfnSkipStreamingChatModel listened = TestSupport.streamingModelBuilder().listeners(listener).build();
        ThrowingHandler handler = new ThrowingHandler();
        listened.chat(RequestParametersTest.SUMMARY_PROMPT, handler);
        ChatResponse response = handler.await();

        // Every piece arrived, each failure reached onError right after it, then the complete response.
        assertThat(handler.text()).isEqualTo(response.aiMessage().text()).isEqualTo("One to whom something is addressed.");
        assertThat(handler.partials).hasSizeGreaterThan(3);
        assertThat(handler.errors).hasSize(handler.partials.size()).allSatisfy(e -> assertThat(e).isSameAs(handler.failure));
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 0; i < handler.partials.size(); i++) expected.addAll(List.of("partial", "error"));
        expected.add("complete");
        assertThat(handler.events).containsExactlyElementsOf(expected);
        // The generation was not cut short: the same tokens as an undisturbed stream.
        assertThat(((FfnSkipChatResponseMetadata) response.metadata()).finishReason()).isEqualTo(dev.langchain4j.model.output.FinishReason.STOP);
        // Listeners: one request, one error per failure (LangChain4j's handler wrapper tells them), one response.
        assertThat(listener.requests).hasSize(1);
        assertThat(listener.errors).hasSize(handler.partials.size());
        assertThat(listener.responses).hasSize(1);
        assertNextRequestIsCorrect();
    }

    @Test
    void anExceptionFromOnCompleteResponseGoesToOnErrorAndOneFromOnErrorIsIgnored() {
        RuntimeException failure = new IllegalStateException("complete broke");
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler() {
            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                super.onCompleteResponse(completeResponse);
                throw failure;
            }

            @Override
            public void onError(Throwable error) {
                events.add("error");
                errors.add(error);
                ended.countDown();
                throw new IllegalStateException("onError broke too; logged and ignored");
            }
        };
        model.chat(RequestParametersTest.IRON, handler);
        assertThat(handler.await().aiMessage().text()).isEqualTo("Fe");
        try {
            assertThat(ended.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(errors).containsExactly(failure);
        assertThat(handler.events).endsWith("complete", "error");
        assertThat(handler.events.subList(0, handler.events.size() - 2)).isNotEmpty().containsOnly("partial");
        assertNextRequestIsCorrect();
    }

    @Test
    void anErrorFromAHandlerEndsTheStream() {
        // An Error (not an Exception) is not part of LangChain4j's contract: the generation is cancelled at the next
        // token, onError gets the Error and nothing else follows.
        Error failure = new AssertionError("handler assertion failed");
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler() {
            @Override
            public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
                super.onPartialResponse(partialResponse, context);
                throw failure;
            }
        };
        ChatEngine engine = model.engine();
        StreamingGeneration generation = new StreamingGeneration(
            engine,
            engine.prepare(ChatRequest.builder().messages(UserMessage.from(LONG_ANSWER)).build()),
            handler
        );
        generation.run();
        assertThat(handler.error).isSameAs(failure);
        assertThat(handler.events).containsExactly("partial", "error");
        assertThat(generation.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(generation.result().generatedTokens()).isLessThanOrEqualTo(2);
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
    void badRequestsAreThrownFromChatAsByTheBlockingModel() {
        // What is wrong with the request itself is thrown from chat(), on the caller's thread, with the blocking model's
        // exception: the six cases LangChain4j's suite checks, bad values, bad conversations, prompts that do not fit.
        RequestParametersTest.RecordingListener listener = new RequestParametersTest.RecordingListener();
        FfnSkipStreamingChatModel listened = TestSupport.streamingModelBuilder().listeners(listener).build();
        ChatRequest[] unsupported = {
            request(ChatRequestParameters.builder().modelName("dummy").build()),
            request(ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).toolSpecifications(ToolSpecification.builder().name("add").build()).build()),
            request(ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).toolSpecifications(ToolSpecification.builder().name("add").build()).build()),
            request(ChatRequestParameters.builder().responseFormat(JsonSchema.builder().name("a").rootElement(dev.langchain4j.model.chat.request.json.JsonRawSchema.from("{\"type\":\"string\",\"pattern\":\"^a+$\"}")).build()).build()),
            ChatRequest.builder().messages(UserMessage.from(TextContent.from("What is this?"), ImageContent.from(java.util.Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}), "image/png"))).build(),
            ChatRequest.builder().messages(UserMessage.from(TextContent.from("What is this?"), ImageContent.from("file:///tmp/cat.jpg"))).build(),
        };
        String[] names = {"modelName", "ToolChoice.REQUIRED", "JSON response format together with tools", "JSON schema construct 'pattern'", "image", "image"};
        FfnSkipChatModel blocking = TestSupport.chatModelBuilder().build();
        for (int i = 0; i < unsupported.length; i++) {
            ChatRequest request = unsupported[i];
            TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
            assertThatThrownBy(() -> listened.chat(request, handler))
                .isExactlyInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining(names[i])
                .hasMessageContaining("not support");
            assertThat(handler.events).as("the handler hears nothing of a rejected request").isEmpty();
            assertThatThrownBy(() -> blocking.chat(request)).isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining(names[i]);
        }
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        assertThatThrownBy(() -> listened.chat(List.of(UserMessage.from("hi"), ToolExecutionResultMessage.from("nope", "add", "82")), handler))
            .isInstanceOf(InvalidRequestException.class)
            .hasMessageContaining("unknown tool call id 'nope'");
        assertThatThrownBy(() -> listened.chat(request(ChatRequestParameters.builder().temperature(-1.0).build()), handler))
            .isInstanceOf(InvalidRequestException.class)
            .hasMessageContaining("temperature must be a finite number >= 0");
        assertThatThrownBy(() -> listened.chat("word ".repeat(3000), handler))
            .isInstanceOf(ContextLengthExceededException.class)
            .hasMessageContaining("context window");
        assertThat(handler.events).isEmpty();

        // Listeners hear of each rejection as they do from the blocking model: onRequest, then onError with that exception.
        assertThat(listener.requests).hasSize(unsupported.length + 3);
        assertThat(listener.errors).hasSize(unsupported.length + 3);
        assertThat(listener.errors.get(0).error()).isExactlyInstanceOf(UnsupportedFeatureException.class);
        assertThat(listener.errors.get(unsupported.length + 2).error()).isInstanceOf(ContextLengthExceededException.class);
        assertThat(listener.responses).isEmpty();

        TestSupport.RecordingHandler ok = new TestSupport.RecordingHandler();
        listened.chat(RequestParametersTest.IRON, ok);
        assertThat(ok.await().aiMessage().text()).isEqualTo("Fe");
        assertThat(listener.responses).hasSize(1);
        assertThat(listener.errors).hasSize(unsupported.length + 3);
        assertThat(listener.responses.get(0).chatResponse().metadata()).isInstanceOf(FfnSkipChatResponseMetadata.class);
    }

    @Test
    void anExecutorThatRefusesTheGenerationGoesToOnError() {
        RequestParametersTest.RecordingListener listener = new RequestParametersTest.RecordingListener();
        FfnSkipStreamingChatModel refusing = TestSupport.streamingModelBuilder()
            .executor(task -> {
                throw new java.util.concurrent.RejectedExecutionException("pool is shut down");
            })
            .listeners(listener)
            .build();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        refusing.chat(RequestParametersTest.IRON, handler);
        assertThat(handler.awaitError()).isInstanceOf(java.util.concurrent.RejectedExecutionException.class);
        assertThat(listener.errors).hasSize(1);
    }

    private static ChatRequest request(ChatRequestParameters parameters) {
        return ChatRequest.builder().messages(UserMessage.from(RequestParametersTest.IRON)).parameters(parameters).build();
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

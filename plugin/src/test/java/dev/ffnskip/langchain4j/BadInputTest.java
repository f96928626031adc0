package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ffnskip.jlama.ModelBusyException;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Each bad request fails with a clear exception of LangChain4j's types, and the very next valid request on the same
 * instance is answered correctly.
 */
class BadInputTest {
    private static FfnSkipChatModel model;

    @BeforeAll
    static void setUp() {
        model = TestSupport.chatModelBuilder().build();
    }

    private static void assertNextRequestIsCorrect() {
        assertThat(model.chat(RequestParametersTest.IRON)).isEqualTo("Fe");
    }

    private static void assertFails(Executable request, Class<? extends Throwable> type, String message) {
        assertThatThrownBy(request::execute).isInstanceOf(type).hasMessageContaining(message);
        assertNextRequestIsCorrect();
    }

    private static ChatResponse chat(ChatMessage... messages) {
        return model.chat(ChatRequest.builder().messages(messages).build());
    }

    private static final ToolExecutionRequest ADD_CALL = ToolExecutionRequest.builder().id("call_1").name("add").arguments("{\"a\": 37, \"b\": 45}").build();

    @Test
    void emptyMessageList() {
        assertFails(() -> model.chat(List.<ChatMessage>of()), IllegalArgumentException.class, "messages cannot be null or empty");
        assertFails(() -> model.chat(new ChatMessage[0]), IllegalArgumentException.class, "messages cannot be null or empty");
    }

    @Test
    void toolResultForAnUnknownToolCallId() {
        assertFails(
            () -> chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(ADD_CALL), ToolExecutionResultMessage.from("call_2", "add", "82")),
            InvalidRequestException.class,
            "unknown tool call id 'call_2'"
        );
        assertFails(
            () -> chat(UserMessage.from("What is 37 plus 45?"), ToolExecutionResultMessage.from("call_1", "add", "82")),
            InvalidRequestException.class,
            "no earlier AI message in the conversation requested a tool call with that id"
        );
        assertFails(
            () -> chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(ADD_CALL), ToolExecutionResultMessage.from("call_1", "multiply", "82")),
            InvalidRequestException.class,
            "was a call of 'add'"
        );
    }

    @Test
    void toolCallWithArgumentsThatAreNotJson() {
        ToolExecutionRequest broken = ToolExecutionRequest.builder().id("call_1").name("add").arguments("a=37, b=45").build();
        assertFails(
            () -> chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(broken), ToolExecutionResultMessage.from(broken, "82")),
            InvalidRequestException.class,
            "Arguments of tool call 'add' (id call_1, message 1) are not a JSON object"
        );
    }

    @Test
    void nonTextContent() {
        UserMessage image = UserMessage.from(TextContent.from("What is this?"), ImageContent.from("https://example.com/cat.png"));
        assertFails(() -> chat(image), UnsupportedFeatureException.class, "Content of type image");
    }

    @Test
    void toolResultsThatAreNotASingleText() {
        // LangChain4j 1.13+: a tool result may hold several contents. Texts are joined with new lines (as the model would
        // read one text), anything else is refused by name, never an IllegalStateException from ToolExecutionResultMessage.text().
        ToolExecutionResultMessage twoTexts = ToolExecutionResultMessage.builder()
            .id("call_1").toolName("add").contents(TextContent.from("8"), TextContent.from("2")).build();
        ToolExecutionResultMessage oneText = ToolExecutionResultMessage.from(ADD_CALL, "8\n2");
        String joined = chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(ADD_CALL), twoTexts).aiMessage().text();
        assertThat(joined).isEqualTo(chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(ADD_CALL), oneText).aiMessage().text());

        ToolExecutionResultMessage image = ToolExecutionResultMessage.builder()
            .id("call_1").toolName("add").contents(TextContent.from("82"), ImageContent.from("https://example.com/chart.png")).build();
        assertFails(
            () -> chat(UserMessage.from("What is 37 plus 45?"), AiMessage.from(ADD_CALL), image),
            UnsupportedFeatureException.class,
            "Tool result in message 2 (tool 'add') contains non-text content of type image, which is not supported"
        );
    }

    @Test
    void promptLongerThanTheContextWindow() {
        assertFails(() -> model.chat("word ".repeat(3000)), ContextLengthExceededException.class, "does not fit the model's context window of 1022 tokens");
        // LangChain4j's type for a request that fails again unchanged (no retry), with the numbers and jlama-patch's cause.
        ContextLengthExceededException e = catchThrowableOfType(ContextLengthExceededException.class, () -> model.chat("word ".repeat(3000)));
        assertThat(e).isInstanceOf(InvalidRequestException.class).hasCauseInstanceOf(PromptTooLongException.class);
        assertThat(e.contextLength()).isEqualTo(1022);
        assertThat(e.promptTokens()).isGreaterThan(1022);
    }

    @Test
    void invalidParameterValues() {
        // Per request: LangChain4j's InvalidRequestException (not retried). Building parameter objects: IllegalArgumentException.
        assertFails(() -> chat(ChatRequestParameters.builder().temperature(-1.0).build()), InvalidRequestException.class, "temperature must be a finite number >= 0");
        assertFails(() -> chat(ChatRequestParameters.builder().topP(1.5).build()), InvalidRequestException.class, "topP must be in (0, 1]");
        assertFails(() -> chat(ChatRequestParameters.builder().topK(0).build()), InvalidRequestException.class, "topK must be >= 1");
        assertFails(() -> chat(ChatRequestParameters.builder().maxOutputTokens(0).build()), InvalidRequestException.class, "maxOutputTokens");
        assertFails(() -> chat(ChatRequestParameters.builder().maxOutputTokens(5000).build()), InvalidRequestException.class, "exceeds the model's context window");
        assertFails(() -> chat(ChatRequestParameters.builder().stopSequences("").build()), InvalidRequestException.class, "stopSequences must not contain empty strings");
        assertFails(() -> FfnSkipChatRequestParameters.builder().skipThreshold(0.0).build(), IllegalArgumentException.class, "skipThreshold must be in (0, 1]");
        assertFails(() -> FfnSkipChatRequestParameters.builder().maxSkipFraction(1.5).build(), IllegalArgumentException.class, "maxSkipFraction must be in [0, 1]");
        assertFails(
            () -> chat(FfnSkipChatRequestParameters.builder().protectFirst(8).protectLast(8).build()),
            InvalidRequestException.class,
            "protected layers (protectFirst 8 + protectLast 8) must be fewer than the model's 16 layers"
        );
    }

    private static ChatResponse chat(ChatRequestParameters parameters) {
        return model.chat(ChatRequest.builder().messages(UserMessage.from(RequestParametersTest.IRON)).parameters(parameters).build());
    }

    @Test
    void nonAsciiInputIsHandledGracefully() {
        // A known tokenizer limitation: the answers are poor, but nothing breaks and the text comes back as text.
        for (String input : List.of(
            "Quelle est la capitale de la France ? café, naïve, Ærø",
            "日本の首都はどこですか？",
            "Emoji 😀🚀 and math ∑∫√",
            "Lone surrogate \uD800 and NUL \u0000 and RTL שלום"
        )) {
            ChatResponse response = model.chat(ChatRequest.builder()
                .messages(UserMessage.from(input))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(24).build())
                .build());
            assertThat(response.aiMessage().text()).isNotNull();
            assertThat(response.tokenUsage().inputTokenCount()).isPositive();
        }
        assertNextRequestIsCorrect();
    }

    @Test
    void aFullQueueFailsFastWithModelBusy() throws Exception {
        // A model of our own (not the shared one), so the queue limit affects nobody else.
        try (FfnSkipStreamingChatModel own = TestSupport.streamingModelBuilder().shareModel(false).build();
             FfnSkipChatModel sameWeights = FfnSkipChatModel.builder().model(own.model()).temperature(0.0).build()) {
            own.model().setMaxWaiting(0);
            CountDownLatch streaming = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            TestSupport.RecordingHandler holder = new TestSupport.RecordingHandler() {
                @Override
                public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
                    super.onPartialResponse(partialResponse, context);
                    streaming.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            own.chat(RequestParametersTest.SUMMARY_PROMPT, holder);
            assertThat(streaming.await(60, TimeUnit.SECONDS)).isTrue();
            // LangChain4j's retriable RateLimitException, so its retry logic and users' catch blocks work.
            assertThatThrownBy(() -> sameWeights.chat(RequestParametersTest.IRON))
                .isExactlyInstanceOf(RateLimitException.class)
                .isInstanceOf(RetriableException.class)
                .hasCauseInstanceOf(ModelBusyException.class)
                .hasMessageContaining("queue limit 0");
            // Streaming: the generation cannot get the model, so onError receives it.
            TestSupport.RecordingHandler busy = new TestSupport.RecordingHandler();
            own.chat(RequestParametersTest.IRON, busy);
            assertThat(busy.awaitError()).isExactlyInstanceOf(RateLimitException.class).hasMessageContaining("queue limit 0");
            release.countDown();
            assertThat(holder.await().aiMessage().text()).isEqualTo("One to whom something is addressed.");
            assertThat(sameWeights.chat(RequestParametersTest.IRON)).isEqualTo("Fe");
        }
        assertNextRequestIsCorrect();
    }
}

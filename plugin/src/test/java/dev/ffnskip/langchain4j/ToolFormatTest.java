package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tools need a chat template with a tool format. SmolLM2-135M-Instruct's template is plain ChatML: rendered, the tools
 * list would vanish and a tool call would become an empty turn, so the provider refuses tools for it with
 * {@link UnsupportedFeatureException} (blocking and, synchronously, streaming) instead of answering as if no tools
 * had been offered. skipbench-28m's template has one, and its tool round trips are ToolsTest's.
 */
class ToolFormatTest {
    private static final ToolSpecification WEATHER = ToolSpecification.builder()
        .name("getWeather")
        .description("The current weather in a city.")
        .parameters(JsonObjectSchema.builder().addStringProperty("city").build())
        .build();
    private static final ToolExecutionRequest CALL = ToolExecutionRequest.builder().id("call_1").name("getWeather").arguments("{\"city\":\"Munich\"}").build();

    private static FfnSkipChatModel smolLm2;

    @BeforeAll
    static void setUp() {
        smolLm2 = TestSupport.smolLm2ChatModelBuilder().maxTokens(12).build();
    }

    @Test
    void onlyATemplateThatShowsToolsAndToolCallArgumentsHasAToolFormat() {
        assertThat(PromptRenderer.rendersTools(TestSupport.chatModelBuilder().build().model().promptSupport().orElseThrow())).isTrue();
        assertThat(PromptRenderer.rendersTools(smolLm2.model().promptSupport().orElseThrow())).isFalse();
    }

    @Test
    void bothChatModelsSayWhetherTheyTakeTools() {
        assertThat(TestSupport.chatModelBuilder().build().supportsTools()).isTrue();
        assertThat(TestSupport.streamingModelBuilder().build().supportsTools()).isTrue();
        assertThat(smolLm2.supportsTools()).isFalse();
        assertThat(TestSupport.smolLm2StreamingModelBuilder().build().supportsTools()).isFalse();
    }

    @Test
    void toolsOfferedToAModelWithoutToolFormatAreRefused() {
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("What is the weather in Munich?")).toolSpecifications(WEATHER).build();
        assertThatThrownBy(() -> smolLm2.chat(request))
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("tools is not supported for 'SmolLM2-135M-Instruct.Q4_1'")
            .hasMessageContaining("no tool format");
    }

    @Test
    void streamingRefusesThemFromChatBeforeAnyCallback() {
        FfnSkipStreamingChatModel streaming = TestSupport.smolLm2StreamingModelBuilder().maxTokens(12).build();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("What is the weather in Munich?")).toolSpecifications(WEATHER).build();
        assertThatThrownBy(() -> streaming.chat(request, handler)).isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("no tool format");
        assertThat(handler.events).isEmpty();
    }

    @Test
    void toolCallsAndResultsInTheConversationAreRefusedToo() {
        ChatRequest withCall = ChatRequest.builder().messages(UserMessage.from("What is the weather in Munich?"), AiMessage.from(CALL)).build();
        assertThatThrownBy(() -> smolLm2.chat(withCall))
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("A tool call in the conversation (message 1)");
        ChatRequest withResult = ChatRequest.builder()
            .messages(UserMessage.from("What is the weather in Munich?"), AiMessage.from(CALL), ToolExecutionResultMessage.from(CALL, "sunny"))
            .build();
        assertThatThrownBy(() -> smolLm2.chat(withResult)).isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tool call");
    }

    @Test
    void toolChoiceNoneOffersNothingSoTheModelAnswers() {
        ChatResponse response = smolLm2.chat(
            ChatRequest.builder().messages(UserMessage.from("What is the capital of Germany?")).toolSpecifications(WEATHER).toolChoice(ToolChoice.NONE).build()
        );
        assertThat(response.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(response.aiMessage().text()).contains("Berlin");
    }
}

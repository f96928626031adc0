package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.Result;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.tool.ToolExecution;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tool round trips on the real model: blocking and streaming, through AiServices and by hand. */
class ToolsTest {
    private static final String SYSTEM = "Use the tools when they help.";

    /** The tools as the model was trained on them (names, parameter names and descriptions of shared/README.md). */
    static class Tools {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Tool(name = "add", value = "Add two numbers a and b.")
        public long add(@P("the first number") long a, @P("the second number") long b) {
            calls.add("add(" + a + ", " + b + ")");
            return a + b;
        }

        @Tool(name = "multiply", value = "Multiply two numbers a and b.")
        public long multiply(@P("the first number") long a, @P("the second number") long b) {
            calls.add("multiply(" + a + ", " + b + ")");
            return a * b;
        }

        @Tool(name = "get_weather", value = "Get the current weather in a city.")
        public String getWeather(@P("the city") String city) {
            calls.add("get_weather(" + city + ")");
            return "sunny, 21 degrees";
        }
    }

    interface Assistant {
        @dev.langchain4j.service.SystemMessage(SYSTEM)
        Result<String> chat(String question);
    }

    interface StreamingAssistant {
        @dev.langchain4j.service.SystemMessage(SYSTEM)
        TokenStream chat(String question);
    }

    private static FfnSkipChatModel model;
    private static FfnSkipStreamingChatModel streamingModel;
    private static List<ToolSpecification> specs;

    @BeforeAll
    static void setUp() {
        model = TestSupport.chatModelBuilder().build();
        streamingModel = TestSupport.streamingModelBuilder().build();
        specs = ToolSpecifications.toolSpecificationsFrom(new Tools());
    }

    @Test
    void aiServicesAddsWithTheTool() {
        Tools tools = new Tools();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools).build();
        Result<String> result = assistant.chat("What is 37 plus 45?");
        assertThat(tools.calls).containsExactly("add(37, 45)");
        assertThat(result.content()).contains("82");
        assertThat(result.toolExecutions()).hasSize(1);
        assertThat(result.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(result.finalResponse().metadata()).isInstanceOf(FfnSkipChatResponseMetadata.class);
        // Token usage is summed over both model calls by AiServices, through our metadata's toBuilder().
        assertThat(result.tokenUsage().inputTokenCount()).isGreaterThan(result.intermediateResponses().get(0).tokenUsage().inputTokenCount());
    }

    @Test
    void aiServicesMultipliesAndReportsTheWeather() {
        Tools tools = new Tools();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model).tools(tools).build();
        assertThat(assistant.chat("What is 160 times 38?").content()).contains("6080");
        assertThat(assistant.chat("What is the weather in Lisbon?").content()).contains("sunny, 21 degrees");
        assertThat(tools.calls).containsExactly("multiply(160, 38)", "get_weather(Lisbon)");
    }

    @Test
    void aiServicesStreamsAToolRoundTrip() throws Exception {
        Tools tools = new Tools();
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(streamingModel).tools(tools).build();
        List<String> partials = new CopyOnWriteArrayList<>();
        List<ToolExecution> executions = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("What is 37 plus 45?")
            .onPartialResponse(partials::add)
            .onToolExecuted(executions::add)
            .onCompleteResponse(done::complete)
            .onError(done::completeExceptionally)
            .start();
        ChatResponse response = done.get(120, TimeUnit.SECONDS);
        assertThat(tools.calls).containsExactly("add(37, 45)");
        assertThat(executions).hasSize(1);
        assertThat(executions.get(0).result()).isEqualTo("82");
        assertThat(response.aiMessage().text()).contains("82");
        // Tool-call JSON is never streamed as text: the partials are exactly the final answer.
        assertThat(String.join("", partials)).isEqualTo(response.aiMessage().text()).doesNotContain("{");
        assertThat(response.metadata()).isInstanceOf(FfnSkipChatResponseMetadata.class);
    }

    @Test
    void toolCallIsParsedIntoARequestWithToolExecutionFinishReason() {
        ChatResponse response = model.chat(ChatRequest.builder()
            .messages(SystemMessage.from(SYSTEM), UserMessage.from("What is 37 plus 45?"))
            .toolSpecifications(specs)
            .build());
        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(response.aiMessage().text()).isNull();
        ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().get(0);
        assertThat(call.name()).isEqualTo("add");
        assertThat(call.arguments()).isEqualTo("{\"a\":37,\"b\":45}");
        assertThat(call.id()).startsWith("call_");
        FfnSkipChatResponseMetadata metadata = (FfnSkipChatResponseMetadata) response.metadata();
        assertThat(metadata.engineFinishReason()).isEqualTo(dev.ffnskip.jlama.generate.FinishReason.STOP_TOKEN);

        // Second turn by hand: the result rendered by the template, then the model's answer.
        ChatResponse answer = model.chat(ChatRequest.builder()
            .messages(
                SystemMessage.from(SYSTEM),
                UserMessage.from("What is 37 plus 45?"),
                response.aiMessage(),
                ToolExecutionResultMessage.from(call, "82")
            )
            .toolSpecifications(specs)
            .build());
        assertThat(answer.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(answer.aiMessage().text()).isEqualTo("The sum is 82.");
    }

    @Test
    void streamingDeliversPartialThenCompleteToolCallsAndNoTextPieces() {
        Map<String, String> expectedCalls = Map.of(
            "What is the weather in Lisbon?", "get_weather{\"city\":\"Lisbon\"}",
            "What is 37 plus 45?", "add{\"a\":37,\"b\":45}"
        );
        expectedCalls.forEach((question, expectedCall) -> {
            TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
            streamingModel.chat(ChatRequest.builder()
                .messages(SystemMessage.from(SYSTEM), UserMessage.from(question))
                .toolSpecifications(specs)
                .build(), handler);
            ChatResponse response = handler.await();
            assertThat(handler.partials).isEmpty();
            assertThat(response.aiMessage().toolExecutionRequests()).hasSize(1);
            ToolExecutionRequest call = response.aiMessage().toolExecutionRequests().get(0);
            assertThat(call.name() + call.arguments()).isEqualTo(expectedCall);
            assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);

            // The arguments as they are decoded, in several non-blank pieces, each with the final call's index, id and name...
            assertThat(handler.partialToolCalls).hasSizeGreaterThan(1).allSatisfy(partial -> {
                assertThat(partial.index()).isZero();
                assertThat(partial.id()).isEqualTo(call.id());
                assertThat(partial.name()).isEqualTo(call.name());
                assertThat(partial.partialArguments()).isNotBlank();
            });
            // ...adding up to exactly the final arguments; then the complete call, then the response.
            assertThat(handler.partialToolCalls.stream().map(PartialToolCall::partialArguments).reduce("", String::concat)).isEqualTo(call.arguments());
            List<String> events = new ArrayList<>(Collections.nCopies(handler.partialToolCalls.size(), "partialToolCall"));
            events.addAll(List.of("toolCall", "complete"));
            assertThat(handler.events).containsExactlyElementsOf(events);
            assertThat(handler.toolCalls).hasSize(1);
            assertThat(handler.toolCalls.get(0).index()).isZero();
            assertThat(handler.toolCalls.get(0).toolExecutionRequest()).isEqualTo(call);
        });
    }

    @Test
    void truncatedToolCallJsonIsAPlainTextAnswer() {
        ChatRequest request = ChatRequest.builder()
            .messages(SystemMessage.from(SYSTEM), UserMessage.from("What is 37 plus 45?"))
            .parameters(FfnSkipChatRequestParameters.builder().toolSpecifications(specs).maxOutputTokens(8).build())
            .build();
        ChatResponse response = model.chat(request);
        assertThat(response.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(response.aiMessage().text()).startsWith("{\"name\": \"add\"");
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);

        // Streaming gives the same text, released in one piece at the end.
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        streamingModel.chat(request, handler);
        ChatResponse streamed = handler.await();
        assertThat(handler.text()).isEqualTo(response.aiMessage().text()).isEqualTo(streamed.aiMessage().text());
        assertThat(handler.partials).hasSize(1);
        assertThat(streamed.finishReason()).isEqualTo(FinishReason.LENGTH);
        // It looked like a call while it was generated (partial tool calls may have been reported), but no call completes.
        assertThat(handler.toolCalls).isEmpty();
        assertThat(handler.events).endsWith("partial", "complete").doesNotContain("toolCall");
    }

    @Test
    void toolChoiceNoneLeavesTheToolsOut() {
        ChatResponse response = model.chat(ChatRequest.builder()
            .messages(UserMessage.from("What is the chemical symbol for iron?"))
            .toolSpecifications(specs)
            .toolChoice(ToolChoice.NONE)
            .build());
        assertThat(response.aiMessage().text()).isEqualTo("Fe");
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
    }

    @Test
    void textAnswerWithToolsOfferedStreamsNormally() {
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        streamingModel.chat(ChatRequest.builder()
            .messages(UserMessage.from("Which language has the code ar?"))
            .toolSpecifications(specs)
            .build(), handler);
        ChatResponse response = handler.await();
        assertThat(response.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(handler.text()).isEqualTo(response.aiMessage().text());
        assertThat(handler.toolCalls).isEmpty();
    }
}

package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.testing.JsonChecks;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.output.FinishReason;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code strictTools} on skipbench-28m, which was trained to call {@code add(a, b)} and {@code get_weather(city)}. Its
 * chat template shows tools by name and description only, so offered under other parameter names ({@code x}/{@code y},
 * {@code location}) the model still writes its trained names: without strictTools the call fails the offered schema
 * (networknt), with it (builder or per request, blocking and streaming) the call validates. REQUIRED with strictTools
 * calls a tool the model never saw; REQUIRED without is refused; a text answer under strictTools is the unconstrained
 * one. Mutations tried: building the strict constraint with {@code required} always false fails
 * {@code requiredCallsAToolTheModelNeverSaw} (the capital question is answered in text, "French Republic of France");
 * dropping the strict constraint from {@code ChatEngine.prepare} fails four of the six tests (the calls carry the
 * trained {@code {"a":37,"b":45}}, the REQUIRED answer is text).
 */
class StrictToolsTest {
    private static final String ADD_XY = """
        {"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}""";
    private static final String WEATHER_LOCATION = """
        {"type":"object","properties":{"location":{"type":"string"}},"required":["location"],"additionalProperties":false}""";
    private static final String SUM_NUMBERS = """
        {"type":"object","properties":{"first":{"type":"integer"},"second":{"type":"integer"}},"required":["first","second"],"additionalProperties":false}""";

    static final ToolSpecification ADD = ToolSpecification.builder().name("add").description("Add two numbers a and b.")
        .parameters(JsonObjectSchema.builder().addNumberProperty("x").addNumberProperty("y").required("x", "y").additionalProperties(false).build())
        .build();
    static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather").description("Get the current weather in a city.")
        .parameters(JsonObjectSchema.builder().addStringProperty("location").required("location").additionalProperties(false).build())
        .build();
    static final ToolSpecification SUM = ToolSpecification.builder().name("sum_numbers").description("Sum two integers.")
        .parameters(JsonObjectSchema.builder().addIntegerProperty("first").addIntegerProperty("second").required("first", "second").additionalProperties(false).build())
        .build();

    private static FfnSkipChatModel plain;
    private static FfnSkipChatModel strict;

    @BeforeAll
    static void build() {
        plain = TestSupport.chatModelBuilder().build();
        strict = TestSupport.chatModelBuilder().strictTools(true).build();
    }

    private static ChatRequest ask(String question, ChatRequestParameters parameters) {
        return ChatRequest.builder().messages(SystemMessage.from("You can use tools."), UserMessage.from(question)).parameters(parameters).build();
    }

    private static ChatRequestParameters tools(ToolSpecification... tools) {
        return ChatRequestParameters.builder().toolSpecifications(tools).build();
    }

    private static ToolExecutionRequest onlyCall(ChatResponse r) {
        assertThat(r.aiMessage().toolExecutionRequests()).as("answer %s", r.aiMessage()).hasSize(1);
        assertThat(r.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        return r.aiMessage().toolExecutionRequests().get(0);
    }

    @Test
    void callsMatchTheOfferedParameterSchemas() {
        ToolExecutionRequest free = onlyCall(plain.chat(ask("What is 37 plus 45?", tools(ADD, WEATHER))));
        assertThat(free.name()).isEqualTo("add");
        assertThat(JsonChecks.violations(ADD_XY, free.arguments())).as("trained names %s against the offered schema", free.arguments()).isNotEmpty();

        ChatResponse r = strict.chat(ask("What is 37 plus 45?", tools(ADD, WEATHER)));
        ToolExecutionRequest call = onlyCall(r);
        assertThat(call.name()).isEqualTo("add");
        JsonChecks.assertValid(ADD_XY, call.arguments());
        FfnSkipChatResponseMetadata meta = (FfnSkipChatResponseMetadata) r.metadata();
        assertThat(meta.structuredOutput()).isEqualTo("tools");
        assertThat(meta.note()).isNull();

        ToolExecutionRequest freeWeather = onlyCall(plain.chat(ask("What is the weather in Paris?", tools(ADD, WEATHER))));
        assertThat(JsonChecks.violations(WEATHER_LOCATION, freeWeather.arguments())).isNotEmpty();
        ToolExecutionRequest weather = onlyCall(strict.chat(ask("What is the weather in Paris?", tools(ADD, WEATHER))));
        assertThat(weather.name()).isEqualTo("get_weather");
        JsonChecks.assertValid(WEATHER_LOCATION, weather.arguments());
    }

    @Test
    void perRequestStrictToolsLayersOverTheBuilder() {
        ChatRequestParameters on = FfnSkipChatRequestParameters.builder().toolSpecifications(ADD, WEATHER).strictTools(true).build();
        JsonChecks.assertValid(ADD_XY, onlyCall(plain.chat(ask("What is 37 plus 45?", on))).arguments());
        ChatRequestParameters off = FfnSkipChatRequestParameters.builder().toolSpecifications(ADD, WEATHER).strictTools(false).build();
        ChatResponse r = strict.chat(ask("What is 37 plus 45?", off));
        assertThat(JsonChecks.violations(ADD_XY, onlyCall(r).arguments())).isNotEmpty();
        assertThat(((FfnSkipChatResponseMetadata) r.metadata()).structuredOutput()).isNull();
    }

    @Test
    void requiredCallsAToolTheModelNeverSaw() {
        ChatRequestParameters required = ChatRequestParameters.builder().toolSpecifications(SUM).toolChoice(ToolChoice.REQUIRED).build();
        assertThatThrownBy(() -> plain.chat(ask("What is 37 plus 45?", required)))
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("ToolChoice.REQUIRED")
            .hasMessageContaining("strictTools");
        // The capital question gets a text answer under AUTO; REQUIRED makes it a call too.
        assertThat(strict.chat(ask("What is the capital of France?", tools(SUM))).aiMessage().hasToolExecutionRequests()).isFalse();
        for (String question : List.of("What is the capital of France?", "What is 37 plus 45?")) {
            ChatResponse r = strict.chat(ask(question, required));
            ToolExecutionRequest call = onlyCall(r);
            assertThat(call.name()).isEqualTo("sum_numbers");
            JsonChecks.assertValid(SUM_NUMBERS, call.arguments());
            assertThat(((FfnSkipChatResponseMetadata) r.metadata()).structuredOutput()).isEqualTo("tools_required");
        }
        assertThatThrownBy(() -> strict.chat(ask("Hi", ChatRequestParameters.builder().toolChoice(ToolChoice.REQUIRED).build())))
            .hasMessageContaining("needs at least one tool");
    }

    @Test
    void textAnswersStayFree() {
        ChatResponse free = plain.chat(ask("What is the capital of France?", tools(ADD, WEATHER)));
        ChatResponse r = strict.chat(ask("What is the capital of France?", tools(ADD, WEATHER)));
        assertThat(free.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(r.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(r.aiMessage().text()).isNotBlank().isEqualTo(free.aiMessage().text());
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(((FfnSkipChatResponseMetadata) r.metadata()).note()).isNull();
        // Cut by the token budget, a text answer gets no "incomplete" note (only a started call would).
        ChatResponse cut = strict.chat(ask("What is the capital of France?", FfnSkipChatRequestParameters.builder().toolSpecifications(ADD).maxOutputTokens(2).build()));
        assertThat(cut.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(((FfnSkipChatResponseMetadata) cut.metadata()).note()).isNull();
    }

    @Test
    void streamingCallValidates() {
        FfnSkipStreamingChatModel model = TestSupport.streamingModelBuilder().strictTools(true).build();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        model.chat(ask("What is 37 plus 45?", tools(ADD, WEATHER)), handler);
        ChatResponse r = handler.await();
        ToolExecutionRequest call = onlyCall(r);
        assertThat(call.name()).isEqualTo("add");
        JsonChecks.assertValid(ADD_XY, call.arguments());
        assertThat(handler.toolCalls).hasSize(1);
        assertThat(handler.toolCalls.get(0).toolExecutionRequest().arguments()).isEqualTo(call.arguments());
        assertThat(handler.partialToolCalls.stream().map(PartialToolCall::partialArguments).collect(Collectors.joining())).isEqualTo(call.arguments());
        assertThat(((FfnSkipChatResponseMetadata) r.metadata()).structuredOutput()).isEqualTo("tools");
    }

    @Test
    void unsupportedParameterSchemasAndCombinationsAreRefusedBeforeDecoding() {
        ToolSpecification patterned = ToolSpecification.builder().name("lookup_element")
            .parameters(JsonObjectSchema.builder().addProperty("symbol", JsonRawSchema.from("{\"type\":\"string\",\"pattern\":\"^[A-Z][a-z]?$\"}")).build())
            .build();
        assertThatThrownBy(() -> strict.chat(ask("Look up Fe.", tools(patterned))))
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("'pattern'")
            .hasMessageContaining("lookup_element");
        assertThatThrownBy(() -> TestSupport.chatModelBuilder().strictTools(true).defaultRequestParameters(tools(patterned)).build())
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("'pattern'");
        assertThatThrownBy(() -> strict.chat(ChatRequest.builder().messages(UserMessage.from("Hi")).toolSpecifications(ADD).responseFormat(ResponseFormat.JSON).build()))
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("together with tools");
        // Without strictTools the same tool is offered as before (the schema is only shown, not enforced).
        assertThat(plain.chat(ask("Look up Fe.", ChatRequestParameters.builder().toolSpecifications(patterned).maxOutputTokens(4).build()))).isNotNull();
    }
}

package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tjake.jlama.safetensors.prompt.PromptSupport;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j messages render exactly as the model's chat template does (shared/README.md's example). */
class PromptRendererTest {
    private static PromptSupport promptSupport;

    @BeforeAll
    static void setUp() {
        promptSupport = TestSupport.chatModelBuilder().build().model().promptSupport().orElseThrow();
    }

    @Test
    void toolRoundTripRendersLikeTheReadmeExample() {
        ToolSpecification add = ToolSpecification.builder().name("add").description("Add two numbers a and b.").build();
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_1").name("add").arguments("{\"a\":37,\"b\":45}").build();
        String prompt = PromptRenderer.render(
            promptSupport,
            List.of(
                SystemMessage.from("You can use tools."),
                UserMessage.from("What is 37 plus 45?"),
                AiMessage.from(call),
                ToolExecutionResultMessage.from(call, "82")
            ),
            List.of(add)
        ).getPrompt();
        assertThat(prompt).isEqualTo("""
            <|tools|>
            add: Add two numbers a and b.
            <|end|>
            <|system|>
            You can use tools.<|end|>
            <|user|>
            What is 37 plus 45?<|end|>
            <|assistant|>
            {"name": "add", "parameters": {"a": 37, "b": 45}}<|end|>
            <|tool|>
            {"content": {"result": "82"}}<|end|>
            <|assistant|>
            """);
    }

    @Test
    void callsAndResultsWithoutIdsMatchByToolName() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().name("get_weather").arguments("{\"city\": \"Lisbon\"}").build();
        String prompt = PromptRenderer.render(
            promptSupport,
            List.of(UserMessage.from("What is the weather in Lisbon?"), AiMessage.from(call), ToolExecutionResultMessage.from(null, "get_weather", "sunny, 21 degrees")),
            List.of()
        ).getPrompt();
        assertThat(prompt).endsWith("""
            <|assistant|>
            {"name": "get_weather", "parameters": {"city": "Lisbon"}}<|end|>
            <|tool|>
            {"content": {"result": "sunny, 21 degrees"}}<|end|>
            <|assistant|>
            """);
    }

    @Test
    void aToolResultOfSeveralTextsIsRenderedAsTheirLines() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_1").name("search_documents").arguments("{\"query\": \"iron\"}").build();
        ToolExecutionResultMessage twoTexts = ToolExecutionResultMessage.builder()
            .id("call_1").toolName("search_documents").contents(TextContent.from("Iron is a metal."), TextContent.from("Its symbol is Fe.")).build();
        String prompt = PromptRenderer.render(promptSupport, List.of(UserMessage.from("Find iron."), AiMessage.from(call), twoTexts), List.of()).getPrompt();
        String same = PromptRenderer.render(
            promptSupport,
            List.of(UserMessage.from("Find iron."), AiMessage.from(call), ToolExecutionResultMessage.from(call, "Iron is a metal.\nIts symbol is Fe.")),
            List.of()
        ).getPrompt();
        assertThat(prompt).isEqualTo(same).contains("Iron is a metal.\\nIts symbol is Fe.");
        // An image among the contents is refused by name.
        ToolExecutionResultMessage withImage = ToolExecutionResultMessage.builder()
            .id("call_1").toolName("search_documents").contents(TextContent.from("A chart:"), ImageContent.from("https://example.com/c.png")).build();
        assertThatThrownBy(() -> PromptRenderer.render(promptSupport, List.of(UserMessage.from("Find iron."), AiMessage.from(call), withImage), List.of()))
            .isExactlyInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("non-text content of type image")
            .hasMessageContaining("not supported");
    }

    @Test
    void noToolsNoToolsBlock() {
        String prompt = PromptRenderer.render(promptSupport, List.of(UserMessage.from("Hi"), AiMessage.from("Hello."), UserMessage.from("Bye")), List.of()).getPrompt();
        assertThat(prompt).isEqualTo("<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n");
    }

    static class Tools {
        @dev.langchain4j.agent.tool.Tool(name = "convert_currency", value = "Convert an amount of money from one currency to another.")
        public double convert(@dev.langchain4j.agent.tool.P("amount") double amount, @dev.langchain4j.agent.tool.P("from currency code") String from, @dev.langchain4j.agent.tool.P("to currency code") String to) {
            return amount;
        }
    }

    @Test
    void toolSpecificationsBecomeJlamaFunctions() {
        Tool tool = PromptRenderer.toTool(ToolSpecifications.toolSpecificationsFrom(new Tools()).get(0));
        assertThat(tool.getFunction().getName()).isEqualTo("convert_currency");
        assertThat(tool.getFunction().getDescription()).isEqualTo("Convert an amount of money from one currency to another.");
        Map<String, Object> properties = tool.getFunction().getParameters().getProperties();
        assertThat(properties.toString()).contains("amount", "from", "to", "number", "string");
        assertThat(tool.getFunction().getParameters().getRequired()).containsExactly("amount", "from", "to");
    }
}

package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What counts as a tool call in generated text; anything else is an ordinary answer. */
class ToolCallParserTest {
    @Test
    void theModelsFormat() {
        List<ToolExecutionRequest> calls = ToolCallParser.parse("{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 45}}").orElseThrow();
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).name()).isEqualTo("add");
        assertThat(calls.get(0).arguments()).isEqualTo("{\"a\":37,\"b\":45}");
        assertThat(calls.get(0).id()).matches("call_[0-9a-f]{16}");
    }

    @Test
    void variants() {
        assertThat(ToolCallParser.parse("  \n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lisbon\"}}\n").orElseThrow().get(0).arguments())
            .isEqualTo("{\"city\":\"Lisbon\"}");
        assertThat(ToolCallParser.parse("{\"name\": \"get_time\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}").orElseThrow().get(0).arguments())
            .isEqualTo("{\"city\":\"Oslo\"}");
        assertThat(ToolCallParser.parse("{\"name\": \"now\"}").orElseThrow().get(0).arguments()).isEqualTo("{}");
        List<ToolExecutionRequest> two = ToolCallParser.parse("{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}\n{\"name\": \"multiply\", \"parameters\": {\"a\": 3, \"b\": 4}}").orElseThrow();
        assertThat(two).extracting(ToolExecutionRequest::name).containsExactly("add", "multiply");
        assertThat(two.get(0).id()).isNotEqualTo(two.get(1).id());
        assertThat(ToolCallParser.parse("[{\"name\": \"add\", \"parameters\": {}}, {\"name\": \"divide\", \"parameters\": {}}]").orElseThrow()).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "   ",
        "The sum is 82.",
        "{\"name\": \"add\", \"par",
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Par', \"Perth\"}}",
        "{\"name\": \"add\", \"parameters\": {\"a\": 1}} and then some text",
        "{\"parameters\": {\"a\": 1}}",
        "{\"name\": \"\", \"parameters\": {}}",
        "{\"name\": 42, \"parameters\": {}}",
        "{\"name\": \"add\", \"parameters\": [1, 2]}",
        "{\"name\": \"add\", \"parameters\": {}, \"note\": \"extra\"}",
        "{\"name\": \"add\", \"name\": \"sub\"}",
        "[]",
        "[1, 2]",
        "{}",
        "{\"name\": \"add\", \"arguments\": \"not json\"}"
    })
    void anythingElseIsText(String text) {
        assertThat(ToolCallParser.parse(text)).isEmpty();
    }
}

package dev.ffnskip.eval.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ToolsTaskTest {
    @Test
    void callsCompareByNameAndParameterValues() throws Exception {
        JsonNode expected = new ObjectMapper().readTree("{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 45}}");
        assertThat(ToolsTask.callMatches("{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 45}}", expected)).isTrue();
        assertThat(ToolsTask.callMatches(" {\"parameters\": {\"b\": 45.0, \"a\": 37}, \"name\": \"add\"}\n", expected)).isTrue();
        assertThat(ToolsTask.callMatches("{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 46}}", expected)).isFalse();
        assertThat(ToolsTask.callMatches("{\"name\": \"subtract\", \"parameters\": {\"a\": 37, \"b\": 45}}", expected)).isFalse();
        assertThat(ToolsTask.callMatches("{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 45, \"c\": 1}}", expected)).isFalse();
        assertThat(ToolsTask.callMatches("{\"name\": \"add\", \"parameters\": {\"a\": \"37\", \"b\": 45}}", expected)).isFalse();
        assertThat(ToolsTask.callMatches("The result is 82.", expected)).isFalse();
        assertThat(ToolsTask.callMatches("{\"name\": \"add\", \"parameters\": {\"a\": 37", expected)).isFalse();
    }
}

package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Partial tool calls while the JSON is generated: whatever the text is cut into, the pieces of each call add up to
 * exactly the arguments {@link ToolCallParser} gives the finished text, under the same index, id and name.
 */
class ToolCallStreamerTest {
    record Piece(int index, String id, String name, String arguments) {}

    private static List<Piece> stream(List<String> chunks, ToolCallStreamer[] out) {
        List<Piece> pieces = new ArrayList<>();
        ToolCallStreamer streamer = new ToolCallStreamer((index, id, name, arguments) -> pieces.add(new Piece(index, id, name, arguments)));
        chunks.forEach(streamer::feed);
        out[0] = streamer;
        return pieces;
    }

    /** Every way of cutting {@code text} in two, plus one character at a time. */
    private static List<List<String>> cuts(String text) {
        List<List<String>> cuts = new ArrayList<>();
        for (int i = 0; i <= text.length(); i++) cuts.add(List.of(text.substring(0, i), text.substring(i)));
        cuts.add(text.chars().mapToObj(c -> String.valueOf((char) c)).toList());
        return cuts;
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"name\": \"add\", \"parameters\": {\"a\": 37, \"b\": 45}}",
        "  \n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lisbon\"}}\n",
        "{\"parameters\": {\"city\": \"Oslo\"}, \"name\": \"get_time\"}",
        "{\"name\": \"now\"}",
        "{\"name\": \"now\", \"parameters\": {}}",
        "{\"name\": \"now\", \"parameters\": null}",
        "{\"id\": {\"x\": [1, 2]}, \"name\": \"now\", \"parameters\": {\"x\": 1}}",
        "{\"name\": \"get_time\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}",
        "{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}\n{\"name\": \"multiply\", \"parameters\": {\"a\": 3, \"b\": 4}}",
        "[{\"name\": \"add\", \"parameters\": {}}, {\"name\": \"divide\", \"parameters\": {\"a\": 1.5e3, \"b\": -0.25}}]",
        "{\"name\": \"convert_currency\", \"parameters\": {\"amount\": 12345678901234567890, \"from\": \"EUR\", \"to\": \"JPY\"}}",
        "{\"name\": \"search_documents\", \"parameters\": {\"query\": \"caf\\u00e9 \\\"quoted\\\" \\\\ back\\nslash\", \"opts\": {\"k\": [1, [2, {\"deep\": true}]], \"n\": null}}}",
        "{\"name\": \"lookup_element\", \"parameters\": {\"symbol\": \"Fe\", \"f\": 1.0, \"g\": 1e-7, \"h\": 100, \"i\": 0.1}}",
    })
    void piecesAddUpToTheParsedArgumentsHoweverTheTextIsCut(String text) {
        for (List<String> chunks : cuts(text)) {
            ToolCallStreamer[] streamer = new ToolCallStreamer[1];
            List<Piece> pieces = stream(chunks, streamer);
            List<ToolExecutionRequest> calls = ToolCallParser.parse(text, streamer[0]::idFor).orElseThrow();

            Map<Integer, StringBuilder> arguments = new LinkedHashMap<>();
            for (Piece piece : pieces) {
                ToolExecutionRequest call = calls.get(piece.index());
                assertThat(piece.id()).isEqualTo(call.id());
                assertThat(piece.name()).isEqualTo(call.name());
                assertThat(piece.arguments()).isNotBlank();
                arguments.computeIfAbsent(piece.index(), i -> new StringBuilder()).append(piece.arguments());
            }
            assertThat(arguments.keySet()).as("every call reported, in order: %s", chunks).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, calls.size()).boxed().toList()
            );
            for (int i = 0; i < calls.size(); i++) {
                assertThat(arguments.get(i)).as("call %d cut as %s", i, chunks).hasToString(calls.get(i).arguments());
            }
            assertThat(calls.stream().map(ToolExecutionRequest::id).distinct()).hasSize(calls.size());
        }
    }

    @Test
    void emptyArgumentsArriveAsOnePiece() {
        String text = "{\"name\": \"now\", \"parameters\": {}}";
        for (List<String> chunks : cuts(text)) {
            List<Piece> pieces = stream(chunks, new ToolCallStreamer[1]);
            assertThat(pieces).extracting(Piece::arguments).containsExactly("{}");
        }
    }

    @Test
    void argumentsAreReportedAsTheyAreDecodedNotAtTheEnd() {
        List<Piece> pieces = new ArrayList<>();
        ToolCallStreamer streamer = new ToolCallStreamer((index, id, name, arguments) -> pieces.add(new Piece(index, id, name, arguments)));
        streamer.feed("{\"name\": \"add\", \"parameters\": {\"a\": 37, ");
        assertThat(pieces).extracting(Piece::arguments).containsExactly("{\"a\":37");
        streamer.feed("\"b\": 45");
        assertThat(pieces).hasSize(2); // the field name is final, 45 is not yet (it might go on: 450)
        assertThat(pieces.get(1).arguments()).startsWith(",\"b\"").doesNotContain("45");
        streamer.feed("}}");
        assertThat(pieces).extracting(Piece::arguments).containsSequence("{\"a\":37").hasSize(3);
        assertThat(pieces.stream().map(Piece::arguments).reduce("", String::concat)).isEqualTo("{\"a\":37,\"b\":45}");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "The sum is 82.",
        "{\"name\": \"add\", \"parameters\": {\"a\": 1}} and then some text",
        "{\"name\": \"add\", \"parameters\": {}, \"note\": \"extra\"}",
        "{\"name\": \"add\", \"name\": \"sub\"}",
        "{\"name\": 42, \"parameters\": {}}",
        "{\"name\": \"add\", \"parameters\": [1, 2]}",
        "[1, 2]",
        "{\"name\": \"add\", \"arguments\": \"not json\"}",
    })
    void whatIsNotToolCallsIsNeverCompleted(String text) {
        // Some of these report pieces before they turn out not to be calls; the finished text is then plain text.
        stream(List.of(text), new ToolCallStreamer[1]);
        assertThat(ToolCallParser.parse(text)).isEmpty();
    }

    @Test
    void malformedJsonStopsTheReports() {
        List<Piece> pieces = stream(List.of("{\"name\": \"add\", \"parameters\": {\"a\": 1", "}, x y z {\"name\": \"sub\", \"parameters\": {\"a\": 2}}"), new ToolCallStreamer[1]);
        assertThat(pieces).extracting(Piece::name).containsOnly("add");
    }

    @Test
    void idsAreStableAndFreshForCallsNeverReported() {
        ToolCallStreamer streamer = new ToolCallStreamer((index, id, name, arguments) -> {});
        streamer.feed("{\"name\": \"add\", \"parameters\": {\"a\": 1}}");
        String first = streamer.idFor(0);
        assertThat(streamer.idFor(0)).isEqualTo(first).matches("call_[0-9a-f]{16}");
        assertThat(streamer.idFor(1)).isNotEqualTo(first).matches("call_[0-9a-f]{16}");
        assertThat(streamer.idFor(1)).isEqualTo(streamer.idFor(1));
    }
}

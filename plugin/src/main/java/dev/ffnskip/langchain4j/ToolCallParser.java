package dev.ffnskip.langchain4j;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.IntFunction;

/**
 * Recognises tool calls in generated text. The model writes a call as a JSON object
 * {@code {"name": "add", "parameters": {"a": 37, "b": 45}}} (Jlama also accepts {@code "arguments"}); several calls may
 * follow each other or form a JSON array. The whole text (surrounding white space aside) must be tool calls, otherwise
 * it is an ordinary answer: malformed or truncated JSON is never an error, just text.
 */
final class ToolCallParser {
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ToolCallParser() {}

    /** Whether text starting with {@code firstNonBlank} may turn out to be a tool call (streaming holds such text back). */
    static boolean mayStartToolCall(char firstNonBlank) {
        return firstNonBlank == '{' || firstNonBlank == '[';
    }

    /** The tool calls {@code text} consists of, or empty when it is not (only) tool calls; each call gets a fresh id. */
    static Optional<List<ToolExecutionRequest>> parse(String text) {
        return parse(text, index -> newCallId());
    }

    /**
     * The tool calls {@code text} consists of, or empty when it is not (only) tool calls; call {@code i} (in the order
     * written) gets the id {@code ids.apply(i)}.
     */
    static Optional<List<ToolExecutionRequest>> parse(String text, IntFunction<String> ids) {
        if (text == null) return Optional.empty();
        String trimmed = text.strip();
        if (trimmed.isEmpty() || !mayStartToolCall(trimmed.charAt(0))) return Optional.empty();
        List<JsonNode> values = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(trimmed)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token != JsonToken.START_OBJECT && token != JsonToken.START_ARRAY) return Optional.empty();
                JsonNode value = JSON.readTree(parser);
                if (value.isArray()) value.forEach(values::add);
                else values.add(value);
            }
        } catch (JsonProcessingException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (values.isEmpty()) return Optional.empty();
        List<ToolExecutionRequest> calls = new ArrayList<>();
        for (JsonNode value : values) {
            Optional<ToolExecutionRequest> call = toCall(value, ids.apply(calls.size()));
            if (call.isEmpty()) return Optional.empty();
            calls.add(call.get());
        }
        return Optional.of(List.copyOf(calls));
    }

    private static Optional<ToolExecutionRequest> toCall(JsonNode value, String id) {
        if (!value.isObject()) return Optional.empty();
        JsonNode name = value.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) return Optional.empty();
        JsonNode args = value.has("parameters") ? value.get("parameters") : value.get("arguments");
        for (var it = value.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!field.equals("name") && !field.equals("parameters") && !field.equals("arguments") && !field.equals("id")) return Optional.empty();
        }
        String arguments;
        if (args == null || args.isNull()) {
            arguments = "{}";
        } else if (args.isObject()) {
            arguments = args.toString();
        } else if (args.isTextual()) {
            // Some templates let models write the arguments as a JSON string.
            Optional<String> inner = compactObject(args.asText());
            if (inner.isEmpty()) return Optional.empty();
            arguments = inner.get();
        } else {
            return Optional.empty();
        }
        return Optional.of(ToolExecutionRequest.builder().id(id).name(name.asText().strip()).arguments(arguments).build());
    }

    /** {@code json} written compactly if it is one JSON object, else empty. */
    static Optional<String> compactObject(String json) {
        try {
            JsonNode inner = JSON.readTree(json);
            return inner != null && inner.isObject() ? Optional.of(inner.toString()) : Optional.empty();
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    /** A fresh tool call id; the model writes none, LangChain4j needs one to match results to calls. */
    static String newCallId() {
        return "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }
}

package dev.ffnskip.examples.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The server's JSON: request bodies parsed with OpenAI-style errors, and the error object. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Parses a request body that must be one JSON object. */
    static JsonNode parseBody(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiError(400, "invalid_request_error", "missing_body", null, "Request body is empty; expected a JSON object.");
        }
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || !node.isObject()) throw new ApiError(400, "invalid_request_error", "invalid_json", null, "Request body must be a JSON object.");
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "Malformed JSON in request body: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "Unreadable request body: " + e.getMessage());
        }
    }

    /** OpenAI's error object: {@code {"error": {"message", "type", "param", "code"}}}. */
    static ObjectNode errorBody(ApiError error) {
        ObjectNode root = object();
        ObjectNode e = root.putObject("error");
        e.put("message", error.getMessage());
        e.put("type", error.type());
        if (error.param() == null) e.putNull("param");
        else e.put("param", error.param());
        if (error.code() == null) e.putNull("code");
        else e.put("code", error.code());
        return root;
    }

    static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.ffnskip.examples.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** JSON in and out of a JDK {@link HttpExchange}, with the body size limit and OpenAI-style errors. */
final class HttpExchanges {
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * How much of an oversized body is read and discarded before answering 413, so that an HTTP/1.1 client still
     * sending it gets to read the error instead of a reset connection. Bodies beyond this are cut off.
     */
    private static final long DRAIN_LIMIT = 16L << 20;

    private HttpExchanges() {}

    /** Reads and parses the request body; rejects bodies over {@code maxBytes}, non-JSON content types and bad JSON. */
    static JsonNode readJson(HttpExchange exchange, long maxBytes) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null && !contentType.toLowerCase().startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null, "Content-Type must be application/json, was " + contentType);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (InputStream in = exchange.getRequestBody()) {
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                body.write(buffer, 0, n);
                if (body.size() > maxBytes) {
                    for (long drained = body.size(); drained < DRAIN_LIMIT && (n = in.read(buffer)) >= 0; ) drained += n;
                    throw tooLarge(maxBytes);
                }
            }
        }
        if (body.size() == 0) throw new ApiError(400, "invalid_request_error", "missing_body", null, "Request body is empty; expected a JSON object.");
        try {
            JsonNode node = JSON.readTree(body.toByteArray());
            if (node == null || !node.isObject()) throw new ApiError(400, "invalid_request_error", "invalid_json", null, "Request body must be a JSON object.");
            return node;
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "Malformed JSON in request body: " + e.getOriginalMessage());
        }
    }

    private static ApiError tooLarge(long maxBytes) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null, "Request body exceeds the limit of " + maxBytes + " bytes.");
    }

    static void sendJson(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static ObjectNode errorBody(ApiError error) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode e = root.putObject("error");
        e.put("message", error.getMessage());
        e.put("type", error.type());
        if (error.param() == null) e.putNull("param");
        else e.put("param", error.param());
        if (error.code() == null) e.putNull("code");
        else e.put("code", error.code());
        return root;
    }

    static void sendError(HttpExchange exchange, ApiError error) throws IOException {
        sendJson(exchange, error.status(), errorBody(error));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes server-sent events ({@code data: <json>\n\n}, ending with {@code data: [DONE]}). The response headers are
 * sent with the first event. A failed write (the client went away) throws {@link UncheckedIOException}.
 */
final class SseWriter {
    private final HttpExchange exchange;
    private OutputStream out;
    private boolean closed;

    SseWriter(HttpExchange exchange) {
        this.exchange = exchange;
    }

    boolean started() {
        return out != null;
    }

    synchronized void send(JsonNode event) {
        try {
            write("data: " + HttpExchanges.JSON.writeValueAsString(event) + "\n\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized void done() {
        try {
            write("data: [DONE]\n\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            close();
        }
    }

    private void write(String text) throws IOException {
        if (closed) throw new IOException("stream closed");
        if (out == null) {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            out = exchange.getResponseBody();
        }
        out.write(HttpExchanges.utf8(text));
        out.flush();
    }

    synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (out != null) out.close();
        } catch (IOException ignored) {
            // the client is gone; nothing left to tell it
        }
    }
}

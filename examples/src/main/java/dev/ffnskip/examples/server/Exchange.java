package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One request in flight: its id, the one place its response is written from (any thread; Vert.x hands the writes to
 * the connection's event loop), and its cancellation. A request is cancelled when its client goes away (the
 * connection closed: a disconnect or a client-side timeout), when the request timeout fires, or when the server shuts
 * down after its grace period; a running generation registers a hook ({@link #onCancel}) that stops it.
 *
 * <p>Exactly one response is written: after the first {@code send*}, {@link #fail} or {@link #sseDone}, later writes
 * are ignored, so a generation that finishes after its request timed out cannot write a second response.
 */
final class Exchange {
    /** Status recorded (log and metrics) for a request whose client went away before its response was complete. */
    static final int CLIENT_CLOSED = 499;

    private final RoutingContext ctx;
    private final String id;
    private final long startNanos = System.nanoTime();
    private volatile String route = "unmatched";
    private boolean finished;
    private boolean sseStarted;
    private volatile boolean gone;
    private volatile ApiError aborted;
    private Runnable cancelHook;
    private volatile ChatResponse generation;
    private volatile boolean streamed;
    private volatile long firstTokenNanos = -1;

    Exchange(RoutingContext ctx, String id) {
        this.ctx = ctx;
        this.id = id;
    }

    String id() {
        return id;
    }

    String method() {
        return ctx.request().method().name();
    }

    String path() {
        return ctx.request().path();
    }

    /** The route template, for logs and metrics (bounded cardinality); "unmatched" until a route names itself. */
    String route() {
        return route;
    }

    void route(String template) {
        this.route = template;
    }

    long elapsedNanos() {
        return System.nanoTime() - startNanos;
    }

    /** The request body as a JSON object; 415 for a content type other than JSON. */
    JsonNode jsonBody() {
        String contentType = ctx.request().getHeader("Content-Type");
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiError(415, "invalid_request_error", "unsupported_media_type", null, "Content-Type must be application/json, was " + contentType);
        }
        return Json.parseBody(ctx.body().available() ? ctx.body().buffer().getBytes() : null);
    }

    // ---- cancellation

    /** The client went away (its connection closed). */
    void clientGone() {
        gone = true;
        runCancelHook();
    }

    boolean isClientGone() {
        return gone;
    }

    /** Whether the request's work should stop: its client went away, it timed out or the server is shutting down. */
    boolean cancelled() {
        return gone || aborted != null;
    }

    /**
     * Runs {@code hook} when the request is cancelled (at once if it already is) until the returned registration is
     * closed. After {@code close()} returns the hook is not running and will not run.
     */
    Registration onCancel(Runnable hook) {
        synchronized (this) {
            cancelHook = hook;
        }
        if (cancelled()) runCancelHook();
        return () -> {
            synchronized (this) {
                cancelHook = null;
            }
        };
    }

    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    private void runCancelHook() {
        synchronized (this) {
            if (cancelHook != null) cancelHook.run();
        }
    }

    /**
     * Ends the request with {@code error} (a timeout, the server shutting down) and cancels its work: a JSON error if
     * nothing was sent yet, an error event and the end of the stream if it is streaming.
     */
    void abort(ApiError error) {
        if (aborted == null) aborted = error;
        runCancelHook();
        fail(error);
    }

    // ---- what the request did, for the access log and the metrics

    /** Records the generation this request ran (usage, skip statistics). */
    void generation(ChatResponse response, boolean stream) {
        this.generation = response;
        this.streamed = stream;
    }

    ChatResponse generation() {
        return generation;
    }

    boolean streamed() {
        return streamed;
    }

    /** Marks the first generated token (streaming): the time to first token is measured to here. */
    void firstToken() {
        if (firstTokenNanos < 0) firstTokenNanos = System.nanoTime() - startNanos;
    }

    /** Nanoseconds from the request's start to its first streamed token, or -1. */
    long firstTokenNanos() {
        return firstTokenNanos;
    }

    /** The status to record: the response's, or {@link #CLIENT_CLOSED} when the client left before it was complete. */
    int recordedStatus() {
        HttpServerResponse response = ctx.response();
        if (gone && !response.ended()) return CLIENT_CLOSED;
        return response.getStatusCode();
    }

    // ---- writing the response

    private boolean writable() {
        return !finished && !gone && !ctx.response().closed() && !ctx.response().ended();
    }

    synchronized void sendJson(int status, JsonNode body) {
        if (!writable() || sseStarted) return;
        finished = true;
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(Buffer.buffer(Json.bytes(body)));
    }

    synchronized void sendText(int status, String contentType, String body) {
        if (!writable() || sseStarted) return;
        finished = true;
        ctx.response().setStatusCode(status).putHeader("Content-Type", contentType).end(body);
    }

    /**
     * Answers {@code error}: its status, OpenAI's error object and (for a busy model) {@code Retry-After}; on a stream
     * that has started, an error event and the end of the stream.
     */
    synchronized void fail(ApiError error) {
        if (!writable()) return;
        if (sseStarted) {
            writeEvent(Json.errorBody(error));
            finished = true;
            ctx.response().end();
            return;
        }
        HttpServerResponse response = ctx.response();
        if (error.retryAfterSeconds() != null) {
            response.putHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
            // OpenAI's SDKs prefer this one; the jitter keeps rejected clients from all coming back at the same moment.
            long millis = error.retryAfterSeconds() * 1000L + java.util.concurrent.ThreadLocalRandom.current().nextLong(1000);
            response.putHeader("retry-after-ms", String.valueOf(millis));
            response.putHeader("x-should-retry", "true");
        }
        if (error.status() == 504) response.putHeader("x-should-retry", "false"); // the same request would time out again
        finished = true;
        response.setStatusCode(error.status()).putHeader("Content-Type", "application/json").end(Buffer.buffer(Json.bytes(Json.errorBody(error))));
    }

    boolean sseStarted() {
        synchronized (this) {
            return sseStarted;
        }
    }

    /** Sends one server-sent event ({@code data: <json>}); the first one sends the headers. False once the stream is over. */
    synchronized boolean sse(JsonNode event) {
        if (!writable()) return false;
        if (!sseStarted) {
            sseStarted = true;
            ctx.response().setStatusCode(200).setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        }
        writeEvent(event);
        return true;
    }

    private void writeEvent(JsonNode event) {
        ctx.response().write(Buffer.buffer("data: " + new String(Json.bytes(event), StandardCharsets.UTF_8) + "\n\n"));
    }

    /** Ends the stream with {@code data: [DONE]}. */
    synchronized void sseDone() {
        if (!writable() || !sseStarted) return;
        finished = true;
        ctx.response().end("data: [DONE]\n\n");
    }
}

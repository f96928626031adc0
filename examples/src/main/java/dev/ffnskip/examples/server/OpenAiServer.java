package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.ffnskip.langchain4j.FfnSkipChatResponseMetadata;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP backend on Vert.x (Netty): chat completions (blocking and streamed), the model list,
 * document ingestion, a RAG answer route, {@code /health} and Prometheus {@code /metrics}.
 *
 * <p>The library does the HTTP: parsing, keep-alive, routing (404/405), the body limit ({@link BodyHandler}), the
 * request timeout ({@link TimeoutHandler}), chunked responses for server-sent events, idle timeouts, noticing a
 * closed connection at once (Netty keeps reading the socket while a request is handled) and graceful shutdown. Model
 * work runs on one virtual thread per request; the model itself serializes generations and bounds its queue.
 *
 * <p>Every response carries an {@code x-request-id} header; every request is logged on one line (logger
 * {@code dev.ffnskip.examples.server.access}) with that id, its route, status, tokens, skip ratio and duration.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(OpenAiServer.class);
    private static final Logger access = LoggerFactory.getLogger("dev.ffnskip.examples.server.access");
    private static final String EXCHANGE = "ffnskip.exchange";
    /**
     * How much of an oversized body is read and thrown away after the 413, so that a client that writes its whole
     * body before reading gets the error object rather than a reset connection. Past this the connection is closed.
     */
    static final long DRAIN_LIMIT = 1L << 30;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Server settings. {@code shutdownGraceSeconds}: how long running requests may finish on shutdown before they are
     * cancelled; {@code requestTimeoutSeconds}: the longest a request may take (then 504, its generation stopped).
     */
    public record Config(String host, int port, String modelId, long maxBodyBytes, int shutdownGraceSeconds, int requestTimeoutSeconds) {
        public Config(String host, int port, String modelId, long maxBodyBytes, int shutdownGraceSeconds) {
            this(host, port, modelId, maxBodyBytes, shutdownGraceSeconds, 600);
        }
    }

    private final Config config;
    private final Vertx vertx;
    private final HttpServer http;
    private final ChatCompletionsHandler completions;
    private final RagHandler rag;
    private final DocumentStore documents;
    private final ServerMetrics metrics;
    private final ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ffn-skip-request-", 0).factory());
    private final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger runningTasks = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile IntSupplier queueDepth = () -> 0;
    private volatile boolean shuttingDown;

    public OpenAiServer(Config config, ChatModel chatModel, StreamingChatModel streamingModel, DocumentStore documents) {
        this.config = config;
        this.documents = documents;
        this.completions = new ChatCompletionsHandler(config.modelId(), chatModel, streamingModel);
        this.rag = new RagHandler(documents, chatModel);
        this.metrics = new ServerMetrics(() -> queueDepth.getAsInt(), inFlight::size);
        this.vertx = Vertx.vertx(new VertxOptions()
            .setEventLoopPoolSize(2)
            .setWorkerPoolSize(2)
            .setInternalBlockingPoolSize(2)
            .setUseDaemonThread(true)
            .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
        HttpServerOptions options = new HttpServerOptions()
            .setHost(config.host())
            .setPort(config.port())
            .setTcpNoDelay(true)
            // HTTP/1.1 only, as OpenAI's clients speak it: no cleartext HTTP/2 upgrade (its shutdown and reset
            // semantics differ, and the body-limit draining is HTTP/1.1's).
            .setHttp2ClearTextEnabled(false)
            // A blocking generation writes nothing until it is done: idle connections may last as long as a request.
            .setIdleTimeout(config.requestTimeoutSeconds() + 30)
            .setIdleTimeoutUnit(TimeUnit.SECONDS)
            .setCompressionSupported(false);
        this.http = vertx.createHttpServer(options).requestHandler(router());
    }

    /** Where {@code /metrics} reads the number of requests waiting for the model (e.g. {@code FfnSkipModel::waiting}). */
    public OpenAiServer queueDepth(IntSupplier waiting) {
        this.queueDepth = waiting;
        return this;
    }

    private Router router() {
        Router router = Router.router(vertx);
        router.route().handler(this::begin);
        router.route().handler(TimeoutHandler.create(TimeUnit.SECONDS.toMillis(config.requestTimeoutSeconds()), 504));
        router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()).setMergeFormAttributes(false));

        router.post("/v1/chat/completions").handler(task("/v1/chat/completions", completions::handle));
        router.get("/v1/models").handler(now("/v1/models", e -> e.sendJson(200, models())));
        router.get("/v1/models/*").handler(now("/v1/models/{id}", this::modelRoute));
        router.get("/v1/documents").handler(task("/v1/documents", rag::list));
        router.post("/v1/documents").handler(task("/v1/documents", rag::ingest));
        router.post("/v1/rag/chat").handler(task("/v1/rag/chat", rag::answer));
        router.get("/health").handler(now("/health", e -> e.sendJson(200, Json.object().put("status", shuttingDown ? "shutting_down" : "ok"))));
        router.get("/metrics").handler(task("/metrics", e -> e.sendText(200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape())));

        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> exchange(ctx).fail(
            new ApiError(404, "invalid_request_error", "unknown_url", null, "Unknown request URL: " + ctx.request().method() + " " + ctx.request().path())));
        router.errorHandler(405, ctx -> exchange(ctx).fail(
            new ApiError(405, "invalid_request_error", "method_not_allowed", null, "Method " + ctx.request().method() + " is not allowed on " + ctx.request().path() + ".")));
        return router;
    }

    public OpenAiServer start() {
        try {
            http.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            vertx.close();
            throw new UncheckedIOException(new IOException("Cannot listen on " + config.host() + ":" + config.port() + ": " + e.getCause().getMessage(), e.getCause()));
        } catch (InterruptedException | TimeoutException e) {
            vertx.close();
            throw new IllegalStateException("The server did not start", e);
        }
        logger.info("Serving {} on http://{}:{}/v1", config.modelId(), config.host(), port());
        return this;
    }

    public int port() {
        return http.actualPort();
    }

    private static Exchange exchange(RoutingContext ctx) {
        Exchange e = ctx.get(EXCHANGE);
        return e != null ? e : new Exchange(ctx, newRequestId());
    }

    static String newRequestId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "req_" + HexFormat.of().formatHex(b);
    }

    /** The first handler of every request: its id, its place among the requests in flight, its end (log, metrics). */
    private void begin(RoutingContext ctx) {
        Exchange exchange = new Exchange(ctx, newRequestId());
        ctx.put(EXCHANGE, exchange);
        ctx.response().putHeader("x-request-id", exchange.id());
        inFlight.add(exchange);
        ctx.addEndHandler(result -> {
            if (result.failed()) exchange.clientGone(); // the connection closed before the response was complete
            inFlight.remove(exchange);
            metrics.record(exchange);
            logAccess(exchange);
        });
        if (shuttingDown) {
            ctx.response().putHeader("Connection", "close");
            exchange.fail(shuttingDownError());
            return;
        }
        ctx.next();
    }

    private static ApiError shuttingDownError() {
        return new ApiError(503, "server_error", "server_shutting_down", null, "The server is shutting down; retry the request.");
    }

    /** A route answered on the event loop (cheap, never blocks). */
    private static Handler<RoutingContext> now(String route, Consumer<Exchange> work) {
        return ctx -> {
            Exchange exchange = exchange(ctx);
            exchange.route(route);
            try {
                work.accept(exchange);
            } catch (ApiError e) {
                exchange.fail(e);
            }
        };
    }

    /** A route whose work may block (the model, the document store): on a virtual thread of its own. */
    private Handler<RoutingContext> task(String route, Consumer<Exchange> work) {
        return ctx -> {
            Exchange exchange = exchange(ctx);
            exchange.route(route);
            runningTasks.incrementAndGet();
            try {
                workers.execute(() -> {
                    try {
                        work.accept(exchange);
                        if (!exchange.cancelled()) exchange.fail(new ApiError(500, "server_error", "internal_error", null, "The handler sent no response."));
                    } catch (RuntimeException | Error e) {
                        ApiError error = Errors.toApiError(e); // e.g. a prompt too long for the model is the client's error
                        if (error.status() >= 500) logger.error("Request {} {} {} failed", exchange.id(), exchange.method(), exchange.path(), e);
                        else logger.debug("Request {} {} {} rejected: {}", exchange.id(), exchange.method(), exchange.path(), e.toString());
                        exchange.fail(error);
                    } finally {
                        runningTasks.decrementAndGet();
                    }
                });
            } catch (RejectedExecutionException shutDown) {
                runningTasks.decrementAndGet();
                exchange.fail(shuttingDownError());
            }
        };
    }

    /** Failures raised by the library's handlers (body limit, timeout) or by routes answered on the event loop. */
    private void failure(RoutingContext ctx) {
        Exchange exchange = exchange(ctx);
        int status = ctx.statusCode();
        if (status == 413) {
            tooLarge(ctx, exchange);
        } else if (status == 504) {
            exchange.abort(new ApiError(504, "server_error", "timeout", null,
                "The request did not complete within the server's request timeout of " + config.requestTimeoutSeconds() + " s."));
        } else if (ctx.failure() != null) {
            ApiError error = Errors.toApiError(ctx.failure());
            if (error.status() >= 500) logger.error("Request {} {} {} failed", exchange.id(), exchange.method(), exchange.path(), ctx.failure());
            exchange.fail(error);
        } else {
            exchange.fail(new ApiError(status, status >= 500 ? "server_error" : "invalid_request_error", "http_" + status, null, "HTTP " + status));
        }
    }

    /**
     * 413 with its error object. The library rejects a body whose declared length is over the limit without reading
     * it; the rest is read and thrown away here (up to {@link #DRAIN_LIMIT}), so the connection closes cleanly (or
     * stays open) rather than being reset under a client that is still writing. A client that asked
     * {@code Expect: 100-continue} has not sent its body: its connection is closed after the answer.
     */
    private void tooLarge(RoutingContext ctx, Exchange exchange) {
        HttpServerRequest request = ctx.request();
        ApiError error = new ApiError(413, "invalid_request_error", "request_too_large", null, "Request body exceeds the limit of " + config.maxBodyBytes() + " bytes.");
        if (!request.isEnded()) {
            if ("100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
                ctx.response().putHeader("Connection", "close");
                ctx.addEndHandler(done -> request.connection().close());
            } else {
                long[] drained = { 0 };
                request.handler(chunk -> {
                    drained[0] += chunk.length();
                    if (drained[0] > DRAIN_LIMIT) request.connection().close();
                });
                request.endHandler(end -> {});
                request.resume();
            }
        }
        exchange.fail(error);
    }

    private void modelRoute(Exchange exchange) {
        String id = exchange.path().substring("/v1/models/".length()).replaceAll("/+$", "");
        if (!id.equals(config.modelId())) {
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model", "The model '" + id + "' does not exist.");
        }
        exchange.sendJson(200, model());
    }

    private ObjectNode model() {
        return Json.object().put("id", config.modelId()).put("object", "model").put("created", 0).put("owned_by", "ffn-skip");
    }

    private ObjectNode models() {
        ObjectNode root = Json.object().put("object", "list");
        root.putArray("data").add(model());
        return root;
    }

    /** One line per request: id, method, route, status, tokens, skip ratio, duration. */
    private static void logAccess(Exchange exchange) {
        if (!access.isInfoEnabled()) return;
        StringBuilder line = new StringBuilder(160);
        line.append("id=").append(exchange.id()).append(" method=").append(exchange.method()).append(" route=").append(exchange.route());
        if (exchange.route().equals("unmatched")) line.append(" path=").append(exchange.path().replaceAll("[^\\x21-\\x7e]", "?"));
        line.append(" status=").append(exchange.recordedStatus());
        ChatResponse response = exchange.generation();
        if (response != null) {
            TokenUsage usage = response.tokenUsage();
            if (usage != null) line.append(" prompt_tokens=").append(usage.inputTokenCount()).append(" completion_tokens=").append(usage.outputTokenCount());
            if (response.metadata() instanceof FfnSkipChatResponseMetadata m) line.append(String.format(Locale.ROOT, " skip_ratio=%.4f", m.skipRatio()));
            line.append(" stream=").append(exchange.streamed());
        }
        line.append(String.format(Locale.ROOT, " ms=%.1f", exchange.elapsedNanos() / 1e6));
        access.info(line.toString());
    }

    /**
     * Graceful shutdown: stops accepting connections at once, lets running requests finish for up to the grace
     * period, then cancels the rest (their generations stop within a token; they get 503 or an error event), waits
     * for the document store's last write and closes. Bounded: a few seconds past the grace period at most.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        shuttingDown = true;
        long graceMillis = TimeUnit.SECONDS.toMillis(config.shutdownGraceSeconds());
        var stopping = http.shutdown(graceMillis + 5_000, TimeUnit.MILLISECONDS).toCompletionStage().toCompletableFuture();
        boolean finished = awaitIdle(System.currentTimeMillis() + graceMillis);
        if (!finished) {
            logger.info("Cancelling {} request(s) still running after the {} s grace period", inFlight.size(), config.shutdownGraceSeconds());
            for (Exchange exchange : inFlight) exchange.abort(shuttingDownError());
            awaitIdle(System.currentTimeMillis() + 5_000);
        }
        workers.shutdown();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
            stopping.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.warn("HTTP server shutdown: {}", e.toString());
        }
        documents.awaitWrites();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            logger.warn("Vert.x shutdown: {}", e.toString());
        }
        metrics.close();
        logger.info("Server stopped");
    }

    private boolean awaitIdle(long deadlineMillis) {
        while (!inFlight.isEmpty() || runningTasks.get() > 0) {
            if (System.currentTimeMillis() >= deadlineMillis) return false;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}

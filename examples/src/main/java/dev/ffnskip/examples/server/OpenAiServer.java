package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OpenAI-compatible HTTP backend on the JDK's {@link HttpServer}: chat completions (blocking and streamed), the
 * model list, document ingestion and a RAG answer route. One virtual thread per request; the model itself serializes
 * generations and bounds its queue.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(OpenAiServer.class);

    /** Server settings. */
    public record Config(String host, int port, String modelId, long maxBodyBytes, int shutdownGraceSeconds) {}

    private final HttpServer server;
    private final ExecutorService executor;
    private final Config config;
    private final ChatCompletionsHandler completions;
    private final RagHandler rag;

    public OpenAiServer(Config config, ChatModel chatModel, StreamingChatModel streamingModel, DocumentStore documents) throws IOException {
        this.config = config;
        this.completions = new ChatCompletionsHandler(config.modelId(), chatModel, streamingModel, config.maxBodyBytes());
        this.rag = new RagHandler(documents, chatModel, config.maxBodyBytes());
        this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
    }

    public OpenAiServer start() {
        server.start();
        logger.info("Serving {} on http://{}:{}/v1", config.modelId(), config.host(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void dispatch(HttpExchange exchange) {
        // Not try-with-resources: the exchange must still be open while an error is answered.
        try {
            route(exchange);
        } catch (ApiError e) {
            respondError(exchange, e);
        } catch (IOException e) {
            logger.debug("Client of {} {} went away: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
        } catch (RuntimeException e) {
            ApiError error = Errors.toApiError(e); // e.g. a prompt too long for the model is the client's error
            if (error.status() >= 500) logger.error("Request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            else logger.debug("Request {} {} rejected: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
            respondError(exchange, error);
        } finally {
            exchange.close();
        }
    }

    /** Routes one request; errors propagate to {@link #dispatch}, which answers them while the exchange is still open. */
    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath().replaceAll("/+$", "");
        String method = exchange.getRequestMethod();
        switch (path) {
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                completions.handle(exchange);
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                HttpExchanges.sendJson(exchange, 200, models());
            }
            case "/v1/documents" -> {
                if (method.equals("GET")) rag.list(exchange);
                else {
                    requireMethod(method, "POST");
                    rag.ingest(exchange);
                }
            }
            case "/v1/rag/chat" -> {
                requireMethod(method, "POST");
                rag.answer(exchange);
            }
            case "/health" -> HttpExchanges.sendJson(exchange, 200, HttpExchanges.JSON.createObjectNode().put("status", "ok"));
            default -> {
                if (path.equals("/v1/models/" + config.modelId())) {
                    requireMethod(method, "GET");
                    HttpExchanges.sendJson(exchange, 200, model());
                } else if (path.startsWith("/v1/models/")) {
                    throw new ApiError(404, "invalid_request_error", "model_not_found", "model", "The model '" + path.substring(11) + "' does not exist.");
                } else {
                    throw new ApiError(404, "invalid_request_error", "unknown_url", null, "Unknown request URL: " + method + " " + path);
                }
            }
        }
    }

    private static void respondError(HttpExchange exchange, ApiError e) {
        try {
            if (exchange.getResponseCode() == -1) HttpExchanges.sendError(exchange, e);
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    private static void requireMethod(String actual, String expected) {
        if (!actual.equals(expected)) {
            throw new ApiError(405, "invalid_request_error", "method_not_allowed", null, "Method " + actual + " is not allowed here; use " + expected + ".");
        }
    }

    private ObjectNode model() {
        return HttpExchanges.JSON.createObjectNode().put("id", config.modelId()).put("object", "model").put("created", 0).put("owned_by", "ffn-skip");
    }

    private ObjectNode models() {
        ObjectNode root = HttpExchanges.JSON.createObjectNode().put("object", "list");
        root.putArray("data").add(model());
        return root;
    }

    /** Stops accepting requests and waits up to the grace period for running ones. */
    @Override
    public void close() {
        server.stop(config.shutdownGraceSeconds());
        executor.shutdown();
        logger.info("Server stopped");
    }
}

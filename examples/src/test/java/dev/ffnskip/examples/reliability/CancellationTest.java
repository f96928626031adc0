package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.examples.server.DocumentStore;
import dev.ffnskip.examples.server.OpenAiServer;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away (streaming or blocking, mid-generation or still queued, by closing or by its own timeout),
 * the server's request timeout, or a handler that cancels its stream stops the generation within a few tokens of a
 * ~550-token answer; the model's KV cache and queue place are released for the next request.
 */
class CancellationTest {
    /** The prompt makes skipbench-28m ramble for ~550 tokens before its end token (measured). */
    static final String LONG_ANSWER = "Tell me a long story.";

    @Test
    void handlerThatCancelsThroughItsStreamingHandleStopsTheGenerationAndReleasesTheModel() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        FfnSkipStreamingChatModel streaming = FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build();
        AtomicInteger pieces = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        CompletableFuture<Void> cancelled = new CompletableFuture<>();
        streaming.chat(LONG_ANSWER, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                if (cancelled.isDone()) after.incrementAndGet();
                if (pieces.incrementAndGet() == 3) {
                    context.streamingHandle().cancel();
                    cancelled.complete(null);
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                after.incrementAndGet();
            }

            @Override
            public void onError(Throwable e) {
                after.incrementAndGet();
            }
        });
        cancelled.get(5, TimeUnit.MINUTES);
        awaitIdle(model);
        assertThat(pieces).hasValue(3);
        assertThat(after).as("no callback after cancel()").hasValue(0);
        assertThat(FfnSkipChatModel.builder().model(model).temperature(0.0).build().chat("What is the chemical symbol for iron?")).isEqualTo("Fe");
    }

    /** LangChain4j's handler contract: an exception from a callback goes to onError and the stream goes on. */
    @Test
    void handlerThatThrowsGetsItsExceptionInOnErrorAndTheStreamGoesOn() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        FfnSkipStreamingChatModel streaming = FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).maxTokens(40).build();
        AtomicInteger pieces = new AtomicInteger();
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(LONG_ANSWER, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                if (pieces.incrementAndGet() == 3) throw new IllegalStateException("client went away");
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable e) {
                error.complete(e);
            }
        });
        assertThat(error.get(5, TimeUnit.MINUTES)).hasMessage("client went away");
        assertThat(done.get(5, TimeUnit.MINUTES).tokenUsage().outputTokenCount()).isEqualTo(40);
        assertThat(pieces.get()).isGreaterThan(3);
        awaitIdle(model);
    }

    @Test
    void clientDisconnectStopsAStreamedHttpGeneration() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        CountingStreamingModel counting = new CountingStreamingModel(FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build());
        try (OpenAiServer server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).build(), counting,
            new DocumentStore(Files.createTempDirectory("cancel").resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).start()) {
            String body = "{\"model\": \"skipbench-28m\", \"stream\": true, \"max_tokens\": 1000, \"messages\": [{\"role\": \"user\", \"content\": \"" + LONG_ANSWER + "\"}]}";
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                int events = 0;
                for (String line; events < 5 && (line = in.readLine()) != null; ) if (line.startsWith("data: ")) events++;
                assertThat(events).isEqualTo(5);
            } // the client disconnects here
            awaitIdle(model);
            assertThat(counting.completed).hasValue(0);
            // A handful of tokens may still be written into the socket buffer before the write fails; the answer is ~550.
            assertThat(counting.partials.get()).isLessThan(40);
        }
    }

    /** Dense (gate off), the long answer is ~550 tokens. */
    static final String LONG_BLOCKING = "{\"model\": \"skipbench-28m\", \"max_tokens\": 1000, \"ffn_skip\": {\"enabled\": false}, \"messages\": [{\"role\": \"user\", \"content\": \"" + LONG_ANSWER + "\"}]}";
    static final String IRON = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"What is the chemical symbol for iron?\"}]}";
    static final HttpClient http = HttpClient.newHttpClient();

    static OpenAiServer server(FfnSkipModel model, ChatModel chat, int requestTimeoutSeconds) throws Exception {
        return new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5, requestTimeoutSeconds),
            chat, FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            new DocumentStore(Files.createTempDirectory("cancel").resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).start();
    }

    /** Sends a request on a raw socket and leaves the response unread; closing the socket is the client going away. */
    static Socket sendRaw(int port, String body) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
            + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return socket;
    }

    static void await(String what, java.util.function.BooleanSupplier condition, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    static String ironAnswer(int port) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(IRON)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body()).at("/choices/0/message/content").asText();
    }

    /**
     * A blocking request whose client disconnects mid-generation: the generation stops within a token (the ~550-token
     * answer ends after a few dozen), its KV cache is freed, and the next request is served at once (it does not
     * wait behind the rest of the long answer).
     */
    @Test
    void blockingClientThatDisconnectsStopsItsGenerationAndTheNextRequestIsServedAtOnce() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        RecordingChatModel chat = new RecordingChatModel(FfnSkipChatModel.builder().model(model).temperature(0.0).build());
        try (OpenAiServer server = server(model, chat, 600)) {
            try (Socket client = sendRaw(server.port(), LONG_BLOCKING)) {
                await("the generation started", () -> model.openSessions() == 1, 30_000);
                Thread.sleep(300);
            } // the client goes away
            long start = System.nanoTime();
            assertThat(ironAnswer(server.port())).isEqualTo("Fe");
            double seconds = (System.nanoTime() - start) / 1e9;
            ChatResponse stopped = chat.responses.poll(10, TimeUnit.SECONDS);
            assertThat(stopped.tokenUsage().outputTokenCount()).as("tokens generated before the stop").isLessThan(200);
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.OTHER);
            System.out.printf("blocking disconnect: generation stopped after %d tokens; next request answered in %.2f s%n", stopped.tokenUsage().outputTokenCount(), seconds);
            awaitIdle(model);
        }
    }

    /** A blocking request waiting in the model's queue whose client disconnects leaves the queue at once. */
    @Test
    void blockingClientThatDisconnectsWhileQueuedFreesItsQueuePlace() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        RecordingChatModel chat = new RecordingChatModel(FfnSkipChatModel.builder().model(model).temperature(0.0).build());
        try (OpenAiServer server = server(model, chat, 600)) {
            try (Socket running = sendRaw(server.port(), LONG_BLOCKING)) {
                await("the first generation started", () -> model.openSessions() == 1, 30_000);
                try (Socket queued = sendRaw(server.port(), LONG_BLOCKING)) {
                    await("the second request waits for the model", () -> model.waiting() == 1, 10_000);
                }
                await("the queue place is freed", () -> model.waiting() == 0, 2_000);
                assertThat(chat.errors.poll(5, TimeUnit.SECONDS)).hasMessageContaining("Interrupted while waiting");
                assertThat(model.openSessions()).as("the first is still generating").isEqualTo(1);
            }
            assertThat(ironAnswer(server.port())).isEqualTo("Fe");
            awaitIdle(model);
            assertThat(model.waiting()).isZero();
        }
    }

    /** A client-side timeout (300 ms) closes the connection: the server stops the generation as for any disconnect. */
    @Test
    void clientTimeoutStopsTheGeneration() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        RecordingChatModel chat = new RecordingChatModel(FfnSkipChatModel.builder().model(model).temperature(0.0).build());
        try (OpenAiServer server = server(model, chat, 600)) {
            HttpClient impatient = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                .timeout(java.time.Duration.ofMillis(300)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(LONG_BLOCKING)).build();
            assertThatThrownBy(() -> impatient.send(request, HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.net.http.HttpTimeoutException.class);
            ChatResponse stopped = chat.responses.poll(10, TimeUnit.SECONDS);
            assertThat(stopped).as("the generation stopped after the client gave up").isNotNull();
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.OTHER);
            assertThat(stopped.tokenUsage().outputTokenCount()).isLessThan(500);
            impatient.close();
            assertThat(ironAnswer(server.port())).isEqualTo("Fe");
            awaitIdle(model);
        }
    }

    /** The server's own request timeout: 504 (no retry advised) and the generation stops. */
    @Test
    void requestTimeoutAnswers504AndStopsTheGeneration() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        RecordingChatModel chat = new RecordingChatModel(FfnSkipChatModel.builder().model(model).temperature(0.0).build());
        try (OpenAiServer server = server(model, chat, 1)) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(LONG_BLOCKING)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.body()).contains("\"code\":\"timeout\"");
            assertThat(r.headers().firstValue("x-should-retry")).hasValue("false");
            ChatResponse stopped = chat.responses.poll(10, TimeUnit.SECONDS);
            assertThat(stopped.finishReason()).isEqualTo(FinishReason.OTHER);
            assertThat(ironAnswer(server.port())).isEqualTo("Fe");
            awaitIdle(model);
        }
    }

    /** Records what the server's blocking model returned or threw. */
    static final class RecordingChatModel implements ChatModel {
        final ChatModel delegate;
        final java.util.concurrent.BlockingQueue<ChatResponse> responses = new java.util.concurrent.LinkedBlockingQueue<>();
        final java.util.concurrent.BlockingQueue<Throwable> errors = new java.util.concurrent.LinkedBlockingQueue<>();

        RecordingChatModel(ChatModel delegate) {
            this.delegate = delegate;
        }

        @Override
        public ChatResponse chat(ChatRequest request) {
            try {
                ChatResponse r = delegate.chat(request);
                if (request.messages().toString().contains(LONG_ANSWER)) responses.add(r); // only the long answers
                return r;
            } catch (RuntimeException e) {
                errors.add(e);
                throw e;
            }
        }
    }

    static void awaitIdle(FfnSkipModel model) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (model.openSessions() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(model.openSessions()).as("KV cache released").isZero();
    }

    /** Counts what the server's streaming model hands to the server. */
    static final class CountingStreamingModel implements StreamingChatModel {
        final StreamingChatModel delegate;
        final AtomicInteger partials = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();

        CountingStreamingModel(StreamingChatModel delegate) {
            this.delegate = delegate;
        }

        @Override
        public void chat(ChatRequest request, StreamingChatResponseHandler handler) {
            delegate.chat(request, new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    partials.incrementAndGet();
                    handler.onPartialResponse(partial, context);
                }

                @Override
                public void onCompleteToolCall(CompleteToolCall toolCall) {
                    handler.onCompleteToolCall(toolCall);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    completed.incrementAndGet();
                    handler.onCompleteResponse(response);
                }

                @Override
                public void onError(Throwable error) {
                    handler.onError(error);
                }
            });
        }
    }
}

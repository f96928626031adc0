package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.examples.server.DocumentStore;
import dev.ffnskip.examples.server.OpenAiServer;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
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
 * A streaming client that goes away, or a handler that throws, stops the generation within a few tokens of a ~550
 * token answer, and the model's KV cache is released for the next request.
 */
class CancellationTest {
    /** The prompt makes skipbench-28m ramble for ~550 tokens before its end token (measured). */
    static final String LONG_ANSWER = "Tell me a long story.";

    @Test
    void handlerThatThrowsStopsTheGenerationAndReleasesTheModel() throws Exception {
        FfnSkipModel model = TestModels.skipbench();
        FfnSkipStreamingChatModel streaming = FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build();
        AtomicInteger pieces = new AtomicInteger();
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        streaming.chat(LONG_ANSWER, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                if (pieces.incrementAndGet() == 3) throw new IllegalStateException("client went away");
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                error.complete(null);
            }

            @Override
            public void onError(Throwable e) {
                error.complete(e);
            }
        });
        assertThat(error.get(5, TimeUnit.MINUTES)).hasMessage("client went away");
        assertThat(pieces).hasValue(3);
        awaitIdle(model);
        assertThat(FfnSkipChatModel.builder().model(model).temperature(0.0).build().chat("What is the chemical symbol for iron?")).isEqualTo("Fe");
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
                public void onPartialResponse(String partial) {
                    partials.incrementAndGet();
                    handler.onPartialResponse(partial);
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

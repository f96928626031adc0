package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.examples.server.DocumentStore;
import dev.ffnskip.examples.server.OpenAiServer;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.ModelBusyException;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Many simultaneous requests on one model instance, mixed blocking / streaming and mixed skip settings, directly and
 * through the HTTP server: every answer equals the sequential greedy answer, nothing deadlocks, and past the queue
 * limit requests fail fast with a clear "busy" error. Scale: {@link Reliability#CONCURRENT} requests per test.
 */
class ConcurrentLoadTest {
    static final List<String> QUESTIONS = List.of(
        "What is the chemical symbol for iron?",
        "Which language has the code ar?",
        "What is the currency of Japan?",
        "Give the atomic number of tungsten.",
        "Context:\nThe mayor of Quillhaven is Dora Pemberton. Quillhaven lies on the Sable River.\n\nQuestion: Who is the mayor of Quillhaven?",
        "Context:\nCusik Lunnadale is a musician by trade.\n\nQuestion: What is Cusik Lunnadale's profession?"
    );
    /** Per-request skip settings: the default gate, the gate off, and a more aggressive threshold. */
    static final List<FfnSkipChatRequestParameters> SETTINGS = List.of(
        FfnSkipChatRequestParameters.builder().build(),
        FfnSkipChatRequestParameters.builder().skipEnabled(false).build(),
        FfnSkipChatRequestParameters.builder().skipThreshold(0.95).build()
    );
    static final List<String> HTTP_SETTINGS = List.of("", ", \"ffn_skip\": {\"enabled\": false}", ", \"ffn_skip\": {\"threshold\": 0.95}");

    static FfnSkipModel model;
    static FfnSkipChatModel chat;
    static FfnSkipStreamingChatModel streaming;
    static OpenAiServer server;
    static final Map<String, String> expected = new HashMap<>();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void setUp() throws Exception {
        model = TestModels.skipbench();
        chat = FfnSkipChatModel.builder().model(model).temperature(0.0).maxTokens(48).build();
        streaming = FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).maxTokens(48).build();
        server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 1 << 20, 5), chat, streaming,
            new DocumentStore(Files.createTempDirectory("load").resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).start();
        for (int q = 0; q < QUESTIONS.size(); q++) {
            for (int s = 0; s < SETTINGS.size(); s++) expected.put(q + "/" + s, blocking(q, s));
        }
    }

    @AfterAll
    static void tearDown() {
        server.close();
        model.setMaxWaiting(Integer.MAX_VALUE);
    }

    static String blocking(int q, int s) {
        return chat.chat(ChatRequest.builder().messages(UserMessage.from(QUESTIONS.get(q))).parameters(SETTINGS.get(s)).build()).aiMessage().text();
    }

    static String streamed(int q, int s) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        streaming.chat(ChatRequest.builder().messages(UserMessage.from(QUESTIONS.get(q))).parameters(SETTINGS.get(s)).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                text.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        assertThat(done.get(10, TimeUnit.MINUTES).aiMessage().text()).isEqualTo(text.toString());
        return text.toString();
    }

    @Test
    void concurrentMixedRequestsOnOneInstanceAllGetTheSequentialAnswer() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> results = new ArrayList<>();
            for (int i = 0; i < Reliability.CONCURRENT; i++) {
                int q = i % QUESTIONS.size(), s = (i / QUESTIONS.size()) % SETTINGS.size();
                boolean stream = i % 2 == 1;
                results.add(pool.submit(() -> {
                    String answer = stream ? streamed(q, s) : blocking(q, s);
                    assertThat(answer).as("question %d setting %d %s", q, s, stream ? "streaming" : "blocking").isEqualTo(expected.get(q + "/" + s));
                    return null;
                }));
            }
            for (Future<Void> f : results) f.get(15, TimeUnit.MINUTES);
        }
        assertThat(model.openSessions()).isZero();
        assertThat(model.waiting()).isZero();
    }

    @Test
    void concurrentMixedHttpRequestsAllGetTheSequentialAnswer() throws Exception {
        HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        String url = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";
        List<CompletableFuture<Void>> results = new ArrayList<>();
        for (int i = 0; i < Reliability.CONCURRENT; i++) {
            int q = i % QUESTIONS.size(), s = (i / QUESTIONS.size()) % SETTINGS.size();
            boolean stream = i % 2 == 1;
            String body = "{\"model\": \"skipbench-28m\", \"max_tokens\": 48, \"stream\": " + stream + HTTP_SETTINGS.get(s)
                + ", \"messages\": [{\"role\": \"user\", \"content\": " + json.writeValueAsString(QUESTIONS.get(q)) + "}]}";
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            results.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(r -> {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                String answer = stream ? sseText(r.body()) : read(r.body()).at("/choices/0/message/content").asText();
                assertThat(answer).as("question %d setting %d %s", q, s, stream ? "streaming" : "blocking").isEqualTo(expected.get(q + "/" + s));
            }));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(15, TimeUnit.MINUTES);
        assertThat(model.openSessions()).isZero();
    }

    @Test
    void pastTheQueueLimitRequestsFailFastAsBusyAndTheRestAreCorrect() throws Exception {
        model.setMaxWaiting(3);
        AtomicInteger busy = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int q = i % QUESTIONS.size();
                results.add(pool.submit(() -> {
                    try {
                        assertThat(blocking(q, 0)).isEqualTo(expected.get(q + "/0"));
                        ok.incrementAndGet();
                    } catch (RateLimitException e) {
                        assertThat(e).hasMessageContaining("Model is busy").hasMessageContaining("queue limit 3").hasCauseInstanceOf(ModelBusyException.class);
                        busy.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<Void> f : results) f.get(10, TimeUnit.MINUTES);
        } finally {
            model.setMaxWaiting(Integer.MAX_VALUE);
        }
        assertThat(busy.get()).isPositive();
        assertThat(ok.get()).isGreaterThanOrEqualTo(4);
        assertThat(ok.get() + busy.get()).isEqualTo(40);
        assertThat(blocking(0, 0)).isEqualTo(expected.get("0/0"));
    }

    @Test
    void busyModelIsHttp429() throws Exception {
        model.setMaxWaiting(0);
        try {
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            String url = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";
            String body = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"Tell me a long story.\"}]}";
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                all.add(http.sendAsync(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (var f : all) statuses.add(f.get(10, TimeUnit.MINUTES).statusCode());
            assertThat(statuses).contains(200, 429).containsOnly(200, 429);
            HttpResponse<String> rejected = all.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 429).findFirst().orElseThrow();
            assertThat(rejected.body()).contains("\"code\":\"rate_limit_exceeded\"").contains("Model is busy");
            assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
        } finally {
            model.setMaxWaiting(Integer.MAX_VALUE);
        }
    }

    static JsonNode read(String body) {
        try {
            return json.readTree(body);
        } catch (Exception e) {
            throw new AssertionError(body, e);
        }
    }

    static String sseText(String body) {
        StringBuilder text = new StringBuilder();
        for (String line : body.split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode delta = read(line.substring(6)).at("/choices/0/delta/content");
            if (!delta.isMissingNode() && !delta.isNull()) text.append(delta.asText());
        }
        return text.toString();
    }
}

package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAI-compatible server on loopback, driven by LangChain4j's real OpenAI clients and plain HTTP. */
class OpenAiServerTest {
    @TempDir
    static Path tmp;

    static FfnSkipModel model;
    static OpenAiServer server;
    static String base;
    static AllMiniLmL6V2EmbeddingModel embeddings;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = TestModels.skipbench();
        embeddings = new AllMiniLmL6V2EmbeddingModel();
        server = startServer(tmp.resolve("docs.json"));
        base = "http://127.0.0.1:" + server.port() + "/v1";
    }

    static OpenAiServer startServer(Path documents) throws Exception {
        FfnSkipChatModel chat = FfnSkipChatModel.builder().model(model).temperature(0.0).build();
        FfnSkipStreamingChatModel streaming = FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build();
        DocumentStore store = new DocumentStore(documents, embeddings, DocumentSplitters.recursive(400, 40));
        return new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 64 * 1024, 5), chat, streaming, store).start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void openAiChatModelGetsAnAnswer() {
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(base).apiKey("unused").modelName("skipbench-28m").build();
        ChatResponse response = client.chat(dev.langchain4j.data.message.UserMessage.from("What is the chemical symbol for iron?"));
        assertThat(response.aiMessage().text()).isEqualTo("Fe");
        assertThat(response.tokenUsage().inputTokenCount()).isPositive();
        assertThat(response.finishReason()).isEqualTo(dev.langchain4j.model.output.FinishReason.STOP);
    }

    @Test
    void openAiStreamingChatModelStreamsTheSameAnswer() throws Exception {
        OpenAiStreamingChatModel client = OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("unused").modelName("skipbench-28m").build();
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        client.chat("Context:\nThe mayor of Quillhaven is Dora Pemberton.\n\nQuestion: Who is the mayor of Quillhaven?", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.add(partial);
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
        ChatResponse response = done.get(2, TimeUnit.MINUTES);
        assertThat(pieces.size()).isGreaterThan(1);
        assertThat(String.join("", pieces)).isEqualTo("Dora Pemberton");
        assertThat(response.aiMessage().text()).isEqualTo("Dora Pemberton");
    }

    interface Calculator {
        @SystemMessage("Use the tools when they help.")
        String chat(String question);
    }

    interface StreamingCalculator {
        @SystemMessage("Use the tools when they help.")
        TokenStream chat(String question);
    }

    static class Tools {
        final List<String> calls = new ArrayList<>();

        @Tool(name = "add", value = "Add two numbers a and b.")
        public double add(@P("the first number") double a, @P("the second number") double b) {
            calls.add("add(" + a + ", " + b + ")");
            return a + b;
        }
    }

    @Test
    void toolRoundTripThroughTheOpenAiClient() {
        Tools tools = new Tools();
        Calculator calculator = AiServices.builder(Calculator.class)
            .chatModel(OpenAiChatModel.builder().baseUrl(base).apiKey("unused").modelName("skipbench-28m").build())
            .tools(tools)
            .build();
        String answer = calculator.chat("What is 37 plus 45?");
        assertThat(tools.calls).containsExactly("add(37.0, 45.0)");
        assertThat(answer).contains("82");
    }

    @Test
    void streamingToolRoundTripThroughTheOpenAiClient() throws Exception {
        Tools tools = new Tools();
        StreamingCalculator calculator = AiServices.builder(StreamingCalculator.class)
            .streamingChatModel(OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("unused").modelName("skipbench-28m").build())
            .tools(tools)
            .build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        calculator.chat("What is 120 plus 7?").onPartialResponse(p -> {}).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        assertThat(done.get(2, TimeUnit.MINUTES).aiMessage().text()).contains("127");
        assertThat(tools.calls).containsExactly("add(120.0, 7.0)");
    }

    @Test
    void ingestedDocumentsAnswerRagQuestionsWithSourcesAndSurviveARestart() throws Exception {
        Path file = tmp.resolve("rag-docs.json");
        OpenAiServer own = startServer(file);
        String url = "http://127.0.0.1:" + own.port() + "/v1";
        try {
            JsonNode ingested = post(url + "/documents", """
                {"documents": [
                  {"id": "quill", "text": "The mayor of Quillhaven is Dora Pemberton. Quillhaven lies on the Sable River."},
                  {"id": "blulus", "text": "Quingeeth Pristad wrote \\"The Clock of Blulus\\". \\"The Clock of Blulus\\" first appeared in 1906."}
                ]}""", 200);
            assertThat(ingested.get("total_documents").asInt()).isEqualTo(2);
            JsonNode answer = post(url + "/rag/chat", "{\"question\": \"Who wrote \\\"The Clock of Blulus\\\"?\"}", 200);
            assertThat(answer.get("answer").asText()).isEqualTo("Quingeeth Pristad");
            assertThat(answer.at("/sources/0/document_id").asText()).isEqualTo("blulus");
            assertThat(answer.at("/ffn_skip/skip_ratio").isNumber()).isTrue();
        } finally {
            own.close();
        }
        OpenAiServer restarted = startServer(file);
        try {
            JsonNode listed = get("http://127.0.0.1:" + restarted.port() + "/v1/documents", 200);
            assertThat(listed.findValuesAsText("id")).containsExactly("blulus", "quill");
            JsonNode answer = post("http://127.0.0.1:" + restarted.port() + "/v1/rag/chat", "{\"question\": \"Who is the mayor of Quillhaven?\"}", 200);
            assertThat(answer.get("answer").asText()).isEqualTo("Dora Pemberton");
        } finally {
            restarted.close();
        }
    }

    @Test
    void modelsAreListed() throws Exception {
        assertThat(get(base + "/models", 200).at("/data/0/id").asText()).isEqualTo("skipbench-28m");
        assertThat(get(base + "/models/skipbench-28m", 200).get("object").asText()).isEqualTo("model");
        assertThat(get(base + "/models/gpt-4", 404).at("/error/code").asText()).isEqualTo("model_not_found");
    }

    @Test
    void badRequestsGetOpenAiStyleErrorsAndTheNextRequestStillWorks() throws Exception {
        String ok = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"What is the chemical symbol for iron?\"}]}";
        assertThat(post(base + "/chat/completions", "{\"model\": ", 400).at("/error/code").asText()).isEqualTo("invalid_json");
        assertThat(post(base + "/chat/completions", "{\"model\": \"skipbench-28m\"}", 400).at("/error/param").asText()).isEqualTo("messages");
        assertThat(post(base + "/chat/completions", "{\"model\": \"skipbench-28m\", \"messages\": 3}", 400).at("/error/code").asText()).isEqualTo("invalid_type");
        assertThat(post(base + "/chat/completions", "{\"model\": \"other\", \"messages\": []}", 404).at("/error/code").asText()).isEqualTo("model_not_found");
        assertThat(post(base + "/chat/completions", ok.replace("}]}", "}], \"logprobs\": true}"), 400).at("/error/param").asText()).isEqualTo("logprobs");
        assertThat(post(base + "/chat/completions", ok.replace("}]}", "}], \"max_tokens\": 0}"), 400).at("/error/param").asText()).isEqualTo("max_tokens");
        assertThat(post(base + "/chat/completions", "{\"pad\": \"" + "x".repeat(70_000) + "\"}", 413).at("/error/code").asText()).isEqualTo("request_too_large");
        String longPrompt = ok.replace("What is the chemical symbol for iron?", "word ".repeat(3000));
        assertThat(post(base + "/chat/completions", longPrompt, 400).at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertThat(post(base + "/chat/completions", ok, 200).at("/choices/0/message/content").asText()).isEqualTo("Fe");
    }

    static JsonNode post(String url, String body, int expectedStatus) throws Exception {
        HttpResponse<String> r = http.send(
            HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()
        );
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expectedStatus);
        return json.readTree(r.body());
    }

    static JsonNode get(String url, int expectedStatus) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expectedStatus);
        return json.readTree(r.body());
    }
}

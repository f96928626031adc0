package dev.ffnskip.examples.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.ffnskip.examples.server.OpenAiServer;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.load.ModelLoadException;
import dev.ffnskip.langchain4j.ContextLengthExceededException;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipChatRequestParameters;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageType;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input a user can send, at every layer (loader, skip policy, chat request, HTTP): each gets a
 * clear, specific error, and the very next valid request on the same instance returns the correct answer.
 */
class BadInputMatrixTest {
    static final String QUESTION = "What is the chemical symbol for iron?";
    static Path tmp;
    static FfnSkipModel model;
    static FfnSkipChatModel chat;
    static OpenAiServer server;
    static String base;
    static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        tmp = Files.createTempDirectory("ffn-skip-bad-input");
        model = TestModels.skipbench();
        chat = FfnSkipChatModel.builder().model(model).temperature(0.0).build();
        server = new OpenAiServer(
            new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 64 * 1024, 5),
            chat,
            FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            new dev.ffnskip.examples.server.DocumentStore(tmp.resolve("docs.json"), new dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel(),
                dev.langchain4j.data.document.splitter.DocumentSplitters.recursive(400, 40))
        ).start();
        base = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** What a case must produce: an exception of a type with a message fragment, or an HTTP status with an error code. */
    record Expected(Class<? extends Throwable> type, String message, int status, String code) {
        static Expected error(Class<? extends Throwable> type, String message) {
            return new Expected(type, message, 0, null);
        }

        static Expected http(int status, String code) {
            return new Expected(null, null, status, code);
        }
    }

    /** Runs the bad input; returns the exception or the HTTP response (status, body). */
    interface Action {
        Object run() throws Exception;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
            // Model folder
            load("model folder missing", () -> tmp.resolve("no-such-model"), ModelLoadException.class, "Model folder does not exist"),
            load("model folder empty", () -> dir("empty"), ModelLoadException.class, "has no config.json"),
            load("model path is a file", () -> Files.writeString(tmp.resolve("file.txt"), "x"), ModelLoadException.class, "not a folder"),
            load("config.json is not a file", () -> variant("config-dir", "config.json", null), ModelLoadException.class, "has no config.json"),
            load("config.json malformed", () -> variant("bad-config", "config.json", "{ \"model_type\": "), ModelLoadException.class, "Malformed JSON"),
            load("config.json missing fields", () -> variant("no-layers", "config.json", config().replace("\"num_hidden_layers\": 16,", "")), ModelLoadException.class, "num_hidden_layers"),
            load("tokenizer.json missing", () -> without("no-tokenizer", "tokenizer.json"), ModelLoadException.class, "has no tokenizer.json"),
            load("tokenizer.json malformed", () -> variant("bad-tokenizer", "tokenizer.json", "[1, 2"), ModelLoadException.class, "Malformed JSON"),
            load("safetensors truncated", BadInputMatrixTest::truncatedWeights, ModelLoadException.class, "truncated file or lying header"),
            load("safetensors header lies about a size", () -> weights("lying", "{\"model.norm.weight\": {\"dtype\": \"F32\", \"shape\": [384], \"data_offsets\": [0, 768]}}", 768), ModelLoadException.class, "needs 1536 bytes"),
            load("unsupported architecture", () -> variant("gpt2", "config.json", config().replace("\"llama\"", "\"gpt2\"")), ModelLoadException.class, "Unsupported architecture 'gpt2'"),
            load("dtype Jlama cannot load", () -> weights("f64", "{\"model.norm.weight\": {\"dtype\": \"F64\", \"shape\": [384], \"data_offsets\": [0, 3072]}}", 3072), ModelLoadException.class, "F64"),
            // Skip policy
            Arguments.of("threshold 0", (Action) () -> PaperGatePolicy.builder().threshold(0).build(), Expected.error(IllegalArgumentException.class, "threshold must be in (0, 1]")),
            Arguments.of("threshold above 1", (Action) () -> FfnSkipChatModel.builder().model(model).skipThreshold(1.2).build(), Expected.error(IllegalArgumentException.class, "skipThreshold must be in (0, 1], was 1.2")),
            Arguments.of("negative warm-up", (Action) () -> PaperGatePolicy.builder().warmupTokens(-1).build(), Expected.error(IllegalArgumentException.class, "warmupTokens must be >= 0")),
            Arguments.of("protected layers >= depth", (Action) () -> chatWith(FfnSkipChatRequestParameters.builder().protectFirst(8).protectLast(8).build()), Expected.error(InvalidRequestException.class, "protected layers")),
            Arguments.of("cap outside [0, 1]", (Action) () -> chatWith(FfnSkipChatRequestParameters.builder().maxSkipFraction(1.5).build()), Expected.error(IllegalArgumentException.class, "maxSkipFraction")),
            Arguments.of("builder: dense and a knob", (Action) () -> FfnSkipChatModel.builder().model(model).skipEnabled(false).skipThreshold(0.9).build(), Expected.error(IllegalArgumentException.class, "dense cannot be combined with threshold")),
            Arguments.of("builder: policy and a knob", (Action) () -> FfnSkipChatModel.builder().model(model).gatePolicy(PaperGatePolicy.paperDefault()).warmupTokens(1).build(), Expected.error(IllegalArgumentException.class, "not both")),
            Arguments.of("request: dense and a knob", (Action) () -> chatWith(FfnSkipChatRequestParameters.builder().skipEnabled(false).warmupTokens(0).build()), Expected.error(IllegalArgumentException.class, "dense cannot be combined with warmupTokens")),
            // Chat requests
            Arguments.of("prompt longer than the context", (Action) () -> chat.chat(UserMessage.from("word ".repeat(3000))), Expected.error(ContextLengthExceededException.class, "does not fit the model's context window")),
            Arguments.of("maxOutputTokens 0", (Action) () -> chatWith(FfnSkipChatRequestParameters.builder().maxOutputTokens(0).build()), Expected.error(InvalidRequestException.class, "maxOutputTokens")),
            Arguments.of("maxOutputTokens beyond context", (Action) () -> chatWith(FfnSkipChatRequestParameters.builder().maxOutputTokens(5000).build()), Expected.error(InvalidRequestException.class, "exceeds the model's context window")),
            Arguments.of("empty message list", (Action) () -> chat.chat(ChatRequest.builder().messages(List.<ChatMessage>of()).build()), Expected.error(IllegalArgumentException.class, "messages")),
            Arguments.of("unknown message type", (Action) () -> chat.chat(UserMessage.from("hi"), new CustomMessage()), Expected.error(UnsupportedFeatureException.class, "CUSTOM")),
            Arguments.of("tool result for an unknown tool call id", (Action) () -> chat.chat(UserMessage.from("What is 2 plus 3?"), ToolExecutionResultMessage.from("nope", "add", "5")), Expected.error(InvalidRequestException.class, "nope")),
            Arguments.of("model emits malformed tool-call JSON", (Action) BadInputMatrixTest::truncatedToolCall, Expected.error(null, null)),
            // HTTP
            http("HTTP malformed JSON", "{\"model\": ", 400, "invalid_json"),
            http("HTTP wrong type", "{\"model\": \"skipbench-28m\", \"messages\": 3}", 400, "invalid_type"),
            http("HTTP missing messages", "{\"model\": \"skipbench-28m\"}", 400, "missing_required_parameter"),
            http("HTTP oversized body", "{\"pad\": \"" + "x".repeat(70_000) + "\"}", 413, "request_too_large"),
            http("HTTP unknown model", "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 404, "model_not_found"),
            http("HTTP unsupported parameter", "{\"model\": \"skipbench-28m\", \"n\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "unsupported_parameter"),
            http("HTTP unknown parameter", "{\"model\": \"skipbench-28m\", \"beam_width\": 4, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "unsupported_parameter"),
            http("HTTP tool result for unknown id", "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"tool\", \"tool_call_id\": \"x\", \"content\": \"1\"}]}", 400, "invalid_value"),
            http("HTTP prompt too long", "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"" + "word ".repeat(3000) + "\"}]}", 400, "context_length_exceeded"),
            http("HTTP ffn_skip dense and a knob", "{\"model\": \"skipbench-28m\", \"ffn_skip\": {\"enabled\": false, \"threshold\": 0.9}, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "invalid_value"),
            http("HTTP max_tokens beyond context", "{\"model\": \"skipbench-28m\", \"max_tokens\": 5000, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 400, "invalid_value")
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsAClearErrorAndTheNextRequestIsAnsweredCorrectly(String name, Action action, Expected expected) throws Exception {
        Throwable outcome = catchThrowable(() -> {
            Object result = action.run();
            if (result instanceof HttpResponse<?> r) throw new HttpOutcome(r.statusCode(), (String) r.body());
        });
        if (expected.status() != 0) {
            assertThat(outcome).as(name).isInstanceOf(HttpOutcome.class);
            HttpOutcome r = (HttpOutcome) outcome;
            assertThat(r.status).as(name + ": " + r.body).isEqualTo(expected.status());
            assertThat(r.body).as(name).contains("\"code\":\"" + expected.code() + "\"").contains("\"message\":");
        } else if (expected.type() != null) {
            assertThat(outcome).as(name).isInstanceOf(expected.type()).hasMessageContaining(expected.message());
        } else {
            assertThat(outcome).as(name).isNull();
        }
        // The same instances still answer correctly.
        assertThat(chat.chat(QUESTION)).isEqualTo("Fe");
        HttpResponse<String> ok = post("{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"" + QUESTION + "\"}]}");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"content\":\"Fe\"");
        assertThat(model.openSessions()).isZero();
    }

    static final class HttpOutcome extends RuntimeException {
        final int status;
        final String body;

        HttpOutcome(int status, String body) {
            super("HTTP " + status);
            this.status = status;
            this.body = body;
        }
    }

    static final class CustomMessage implements ChatMessage {
        @Override
        public ChatMessageType type() {
            return ChatMessageType.CUSTOM;
        }
    }

    private static Arguments load(String name, ThrowingPath path, Class<? extends Throwable> type, String message) {
        Action action = () -> FfnSkipChatModel.builder().modelPath(path.get()).build();
        return Arguments.of(name, action, Expected.error(type, message));
    }

    private static Arguments http(String name, String body, int status, String code) {
        return Arguments.of(name, (Action) () -> post(body), Expected.http(status, code));
    }

    interface ThrowingPath {
        Path get() throws IOException;
    }

    private static Object chatWith(FfnSkipChatRequestParameters parameters) {
        return chat.chat(ChatRequest.builder().messages(UserMessage.from(QUESTION)).parameters(parameters).build());
    }

    /** Tools offered, but the output budget ends the tool-call JSON half way: a plain text answer, no crash. */
    private static Object truncatedToolCall() {
        ToolSpecification add = ToolSpecification.builder().name("add").description("Add two numbers a and b.")
            .parameters(JsonObjectSchema.builder().addNumberProperty("a").addNumberProperty("b").required("a", "b").build()).build();
        ChatResponse r = chat.chat(ChatRequest.builder()
            .messages(SystemMessage.from("Use the tools when they help."), UserMessage.from("What is 37 plus 45?"))
            .parameters(FfnSkipChatRequestParameters.builder().toolSpecifications(add).maxOutputTokens(8).build())
            .build());
        assertThat(r.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(r.aiMessage().text()).startsWith("{\"name\"");
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        return r;
    }

    private static HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(
            HttpRequest.newBuilder(URI.create(base)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()
        );
    }

    private static String config() throws IOException {
        return Files.readString(SharedAssets.skipbench().resolve("config.json"));
    }

    private static Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    /** A symlinked copy of skipbench-28m with one file replaced by {@code content} (null: a directory in its place). */
    private static Path variant(String name, String file, String content) throws IOException {
        Path dir = without(name, file);
        if (content == null) Files.createDirectories(dir.resolve(file));
        else Files.writeString(dir.resolve(file), content);
        return dir;
    }

    private static Path without(String name, String file) throws IOException {
        Path dir = dir(name);
        try (Stream<Path> files = Files.list(SharedAssets.skipbench())) {
            for (Path f : files.toList()) if (!f.getFileName().toString().equals(file)) Files.createSymbolicLink(dir.resolve(f.getFileName()), f);
        }
        return dir;
    }

    private static Path truncatedWeights() throws IOException {
        Path dir = without("truncated", "model.safetensors");
        byte[] head = new byte[4_000_000];
        try (var in = Files.newInputStream(SharedAssets.skipbench().resolve("model.safetensors"))) {
            in.readNBytes(head, 0, head.length);
        }
        Files.write(dir.resolve("model.safetensors"), head);
        return dir;
    }

    /** Weights made of one header and {@code dataBytes} zero bytes. */
    private static Path weights(String name, String header, int dataBytes) throws IOException {
        Path dir = without(name, "model.safetensors");
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(dir.resolve("model.safetensors"), b.array());
        return dir;
    }
}

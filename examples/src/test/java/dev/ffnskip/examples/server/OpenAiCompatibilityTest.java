package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What OpenAI's own SDKs expect of the wire format (issue 13): required response fields, tool parameter schemas in
 * every documented form, fields that are accepted and ignored versus rejected by name, {@code x-request-id} on every
 * response, and an oversized body that still gets its 413 error object.
 */
class OpenAiCompatibilityTest {
    static final long MAX_BODY = 64 * 1024;
    static final String IRON = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"What is the chemical symbol for iron?\"}]}";

    @TempDir
    static Path tmp;

    static FfnSkipModel model;
    static OpenAiServer server;
    static String base;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        model = TestModels.skipbench();
        server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", MAX_BODY, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).build(),
            FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).build(),
            new DocumentStore(tmp.resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode read(HttpResponse<String> r) throws IOException {
        return json.readTree(r.body());
    }

    @Test
    void blockingMessageCarriesRefusalNull() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", IRON);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode message = read(r).at("/choices/0/message");
        assertThat(message.get("content").asText()).isEqualTo("Fe");
        assertThat(message.has("refusal")).isTrue();
        assertThat(message.get("refusal").isNull()).isTrue();
        assertThat(read(r).at("/choices/0/logprobs").isNull()).isTrue();
    }

    @Test
    void everyResponseHasItsOwnRequestId() throws Exception {
        List<HttpResponse<String>> responses = List.of(
            post("/v1/chat/completions", IRON),
            post("/v1/chat/completions", IRON.replace("}]}", "}], \"stream\": true}")),
            post("/v1/chat/completions", "{\"model\": "),
            post("/v1/chat/completions", "{\"pad\": \"" + "x".repeat((int) MAX_BODY) + "\"}"),
            send("GET", "/v1/no-such-route"),
            send("DELETE", "/v1/chat/completions"),
            send("GET", "/v1/models/gpt-4"),
            send("GET", "/v1/models"),
            send("GET", "/health"),
            send("GET", "/metrics")
        );
        assertThat(responses).extracting(HttpResponse::statusCode).containsExactly(200, 200, 400, 413, 404, 405, 404, 200, 200, 200);
        Set<String> ids = new HashSet<>();
        for (HttpResponse<String> r : responses) {
            String id = r.headers().firstValue("x-request-id").orElseThrow(() -> new AssertionError("no x-request-id: " + r.uri() + " " + r.statusCode()));
            assertThat(id).matches("req_[0-9a-f]{24}");
            ids.add(id);
        }
        assertThat(ids).hasSize(responses.size());
        assertThat(read(responses.get(4)).at("/error/code").asText()).isEqualTo("unknown_url");
        assertThat(read(responses.get(5)).at("/error/code").asText()).isEqualTo("method_not_allowed");
    }

    /** Every field of the one list in ChatCompletionRequest (also in docs/examples.md) is accepted and changes nothing. */
    @Test
    void fieldsThatDoNotChangeTheOutputAreAcceptedAndIgnored() throws Exception {
        assertThat(ChatCompletionRequest.IGNORED)
            .containsExactlyInAnyOrder("safety_identifier", "prompt_cache_key", "service_tier", "metadata", "store", "user", "parallel_tool_calls");
        ObjectNode body = (ObjectNode) json.readTree(IRON);
        body.put("safety_identifier", "user-1234").put("prompt_cache_key", "k1").put("service_tier", "auto").put("store", true)
            .put("user", "alice").put("parallel_tool_calls", false);
        body.putObject("metadata").put("team", "docs");
        HttpResponse<String> r = post("/v1/chat/completions", body.toString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(read(r).at("/choices/0/message/content").asText()).isEqualTo("Fe");
        String docs = java.nio.file.Files.readString(Path.of("..", "docs", "examples.md"));
        for (String field : ChatCompletionRequest.IGNORED) assertThat(docs).as("docs/examples.md lists %s", field).contains("`" + field + "`");
    }

    static Stream<Arguments> fieldsThatWouldChangeTheOutput() {
        return Stream.of(
            Arguments.of("\"reasoning_effort\": \"high\"", "reasoning_effort"),
            Arguments.of("\"modalities\": [\"text\", \"audio\"]", "modalities"),
            Arguments.of("\"audio\": {\"voice\": \"alloy\", \"format\": \"wav\"}", "audio"),
            Arguments.of("\"web_search_options\": {}", "web_search_options"),
            Arguments.of("\"prediction\": {\"type\": \"content\", \"content\": \"Fe\"}", "prediction"),
            Arguments.of("\"verbosity\": \"low\"", "verbosity"),
            Arguments.of("\"n\": 2", "n"),
            Arguments.of("\"logprobs\": true", "logprobs"),
            Arguments.of("\"presence_penalty\": 0.5", "presence_penalty"),
            Arguments.of("\"tool_choice\": \"required\"", "tool_choice"),
            Arguments.of("\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"add\", \"parameters\": {\"type\": \"object\"}}}], \"tool_choice\": \"required\"", "tool_choice")
        );
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("fieldsThatWouldChangeTheOutput")
    void fieldsThatWouldChangeTheOutputAreRejectedByName(String field, String param) throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", IRON.replace("}]}", "}], " + field + "}"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(read(r).at("/error/code").asText()).isEqualTo("unsupported_parameter");
        assertThat(read(r).at("/error/param").asText()).isEqualTo(param);
    }

    /** The forms OpenAI documents for function parameters, in one schema. */
    static final String EVERY_FORM = """
        {
          "type": "object",
          "properties": {
            "city": {"type": "string", "description": "The city"},
            "unit": {"type": ["string", "null"], "enum": ["celsius", "fahrenheit", null]},
            "days": {"type": ["integer", "null"], "minimum": 1, "maximum": 7},
            "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
            "place": {"$ref": "#/$defs/place"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "kind": {"const": "forecast"},
            "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            "tree": {"$ref": "#/$defs/node"},
            "legacy": {"$ref": "#/definitions/legacy"}
          },
          "required": ["city"],
          "additionalProperties": false,
          "$defs": {
            "place": {"type": "object", "title": "Place", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}, "required": ["lat", "lon"], "additionalProperties": false},
            "node": {"type": "object", "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}
          },
          "definitions": {"legacy": {"type": "string", "nullable": true}}
        }""";

    @Test
    void toolSchemasInEveryDocumentedFormAreAcceptedAndMapped() throws Exception {
        String tool = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather in a city.\", \"strict\": false, \"parameters\": " + EVERY_FORM + "}}";
        List<ToolSpecification> specs = ChatCompletionRequest.tools(json.readTree("[" + tool + "]"));
        JsonObjectSchema p = specs.get(0).parameters();
        assertThat(p.required()).containsExactly("city");
        assertThat(p.additionalProperties()).isFalse();
        assertThat(p.properties().get("city")).isInstanceOf(JsonStringSchema.class);
        assertThat(((JsonAnyOfSchema) p.properties().get("unit")).anyOf()).hasSize(2).hasAtLeastOneElementOfType(JsonEnumSchema.class).hasAtLeastOneElementOfType(JsonNullSchema.class);
        assertThat(((JsonAnyOfSchema) p.properties().get("days")).anyOf()).hasSize(2).hasAtLeastOneElementOfType(JsonNullSchema.class);
        assertThat(((JsonAnyOfSchema) p.properties().get("when")).anyOf()).hasSize(2);
        JsonObjectSchema place = (JsonObjectSchema) p.properties().get("place");
        assertThat(place.properties()).containsOnlyKeys("lat", "lon");
        assertThat(((JsonArraySchema) p.properties().get("tags")).items()).isInstanceOf(JsonStringSchema.class);
        assertThat(((JsonEnumSchema) p.properties().get("kind")).enumValues()).containsExactly("forecast");
        assertThat(((JsonObjectSchema) p.properties().get("extra")).additionalProperties()).isTrue();
        JsonObjectSchema tree = (JsonObjectSchema) p.properties().get("tree");
        assertThat(((JsonArraySchema) tree.properties().get("children")).items()).isEqualTo(JsonReferenceSchema.builder().reference("node").build());
        assertThat(p.definitions()).containsOnlyKeys("node");
        assertThat(((JsonAnyOfSchema) p.properties().get("legacy")).anyOf()).hasSize(2);

        // And the server answers with it: the model calls the tool.
        String body = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"Is it raining in Mumbai?\"}], \"tools\": [" + tool + "]}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(read(r).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        assertThat(read(r).at("/choices/0/message/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
        assertThat(json.readTree(read(r).at("/choices/0/message/tool_calls/0/function/arguments").asText()).get("city").asText()).isEqualTo("Mumbai");
    }

    static Stream<Arguments> unsupportedSchemaForms() {
        return Stream.of(
            Arguments.of("{\"type\": \"object\", \"properties\": {\"x\": {\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}}}", "properties.x.oneOf"),
            Arguments.of("{\"type\": \"object\", \"allOf\": [{\"type\": \"object\"}]}", "allOf"),
            Arguments.of("{\"type\": \"object\", \"properties\": {\"x\": {\"not\": {\"type\": \"string\"}}}}", "properties.x.not"),
            Arguments.of("{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"date\"}}}", "properties.x.type"),
            Arguments.of("{\"type\": \"object\", \"properties\": {\"x\": {\"$ref\": \"https://example.com/schema.json\"}}}", "properties.x.$ref"),
            Arguments.of("{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"array\", \"prefixItems\": [{\"type\": \"string\"}]}}}", "properties.x.prefixItems")
        );
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("unsupportedSchemaForms")
    void unsupportedSchemaFormsAre400NamingThem(String schema, String where) throws Exception {
        String body = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": " + schema + "}}]}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(read(r).at("/error/code").asText()).isEqualTo("unsupported_parameter");
        assertThat(read(r).at("/error/param").asText()).isEqualTo("tools[0].function.parameters." + where);
        assertThat(read(r).at("/error/message").asText()).contains(where.substring(where.lastIndexOf('.') + 1));
    }

    @Test
    void unknownDefinitionIsNamed() throws Exception {
        String body = "{\"model\": \"skipbench-28m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"x\": {\"$ref\": \"#/$defs/missing\"}}}}}]}";
        HttpResponse<String> r = post("/v1/chat/completions", body);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(read(r).at("/error/message").asText()).contains("unknown definition 'missing'");
    }

    /**
     * A 64 MiB body written in full before the response is read (what a plain HTTP/1.1 client does) gets the 413
     * error object, not a reset connection; the connection then serves the next request, and the server is healthy.
     */
    @Test
    void oversizedBodyWrittenWholeBeforeReadingGetsTheErrorObject() throws Exception {
        int size = 64 << 20;
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(60_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 64; i++) out.write(chunk);
            out.flush();
            InputStream in = socket.getInputStream();
            RawHttp.Response first = RawHttp.Response.read(in);
            assertThat(first.status()).isEqualTo(413);
            assertThat(first.headers()).containsKey("x-request-id");
            assertThat(json.readTree(first.body()).at("/error/code").asText()).isEqualTo("request_too_large");
            // The same connection goes on.
            out.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Response second = RawHttp.Response.read(in);
            assertThat(second.status()).isEqualTo(200);
        }
        // Java's client (writing while reading) gets the same; a chunked body without a length is cut off at the limit.
        HttpResponse<String> viaClient = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[size])).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(viaClient.statusCode()).isEqualTo(413);
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[4 << 20]))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(read(chunked).at("/error/code").asText()).isEqualTo("request_too_large");
        HttpResponse<String> ok = post("/v1/chat/completions", IRON);
        assertThat(read(ok).at("/choices/0/message/content").asText()).isEqualTo("Fe");
    }
}

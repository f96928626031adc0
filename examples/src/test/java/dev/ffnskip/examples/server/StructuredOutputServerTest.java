package dev.ffnskip.examples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.langchain4j.FfnSkipChatModel;
import dev.ffnskip.langchain4j.FfnSkipStreamingChatModel;
import dev.ffnskip.testing.JsonChecks;
import dev.ffnskip.testing.TestModels;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code response_format} through the OpenAI-compatible server on skipbench-28m: a request shaped as the OpenAI SDKs
 * send it ({@code json_schema} with name, schema and {@code strict: true}; a type array, anyOf, enum, $defs/$ref)
 * answers content that validates (networknt), blocking and streamed; {@code json_object} answers an object; a schema
 * construct that cannot be enforced is a 400 OpenAI error with {@code param}; LangChain4j's own OpenAI client with
 * strict JSON schema extracts a record through the server. Mutation tried: mapping json_schema to plain text in
 * ResponseFormats fails the blocking, streamed and record-extraction tests (the model answers in prose).
 */
class StructuredOutputServerTest {
    static final String SCHEMA = """
        {"type":"object","properties":{
           "element":{"type":"string"},
           "symbol":{"type":"string"},
           "state":{"enum":["solid","liquid","gas"]},
           "number":{"type":["integer","null"]},
           "isotopes":{"type":"array","items":{"$ref":"#/$defs/Isotope"}},
           "note":{"anyOf":[{"type":"string"},{"type":"null"}]}},
         "required":["element","symbol","state","number","isotopes","note"],"additionalProperties":false,
         "$defs":{"Isotope":{"type":"object","properties":{"mass":{"type":"number"}},"required":["mass"],"additionalProperties":false}}}""";

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
        server = new OpenAiServer(new OpenAiServer.Config("127.0.0.1", 0, "skipbench-28m", 64 * 1024, 5),
            FfnSkipChatModel.builder().model(model).temperature(0.0).maxTokens(160).build(),
            FfnSkipStreamingChatModel.builder().model(model).temperature(0.0).maxTokens(160).build(),
            new DocumentStore(tmp.resolve("docs.json"), new AllMiniLmL6V2EmbeddingModel(), DocumentSplitters.recursive(400, 40))).start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String body(String responseFormat, boolean stream) {
        return "{\"model\":\"skipbench-28m\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"Describe iron.\"}],"
            + "\"response_format\":" + responseFormat + "}";
    }

    static String schemaFormat(String schema) {
        return "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"element_info\",\"strict\":true,\"schema\":" + schema + "}}";
    }

    @Test
    void jsonSchemaBlocking() throws Exception {
        HttpResponse<String> r = post(body(schemaFormat(SCHEMA), false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode choice = json.readTree(r.body()).at("/choices/0");
        String content = choice.at("/message/content").asText();
        if ("stop".equals(choice.get("finish_reason").asText())) JsonChecks.assertValid(SCHEMA, content);
        else assertThat(JsonChecks.isValidPrefix(content.getBytes(java.nio.charset.StandardCharsets.UTF_8))).as(content).isTrue();
        assertThat(content).startsWith("{\"");
    }

    @Test
    void jsonSchemaStreamed() throws Exception {
        HttpResponse<String> r = post(body(schemaFormat(SCHEMA), true));
        assertThat(r.statusCode()).isEqualTo(200);
        StringBuilder content = new StringBuilder();
        String finish = null;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode chunk = json.readTree(line.substring(6));
            JsonNode delta = chunk.at("/choices/0/delta/content");
            if (delta.isTextual()) content.append(delta.asText());
            JsonNode f = chunk.at("/choices/0/finish_reason");
            if (f.isTextual()) finish = f.asText();
        }
        HttpResponse<String> blocking = post(body(schemaFormat(SCHEMA), false));
        assertThat(content.toString()).isEqualTo(json.readTree(blocking.body()).at("/choices/0/message/content").asText());
        if ("stop".equals(finish)) JsonChecks.assertValid(SCHEMA, content.toString());
    }

    @Test
    void jsonObject() throws Exception {
        HttpResponse<String> r = post(body("{\"type\":\"json_object\"}", false));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode choice = json.readTree(r.body()).at("/choices/0");
        String content = choice.at("/message/content").asText();
        assertThat(content).startsWith("{");
        if ("stop".equals(choice.get("finish_reason").asText())) assertThat(JsonChecks.parse(content).isObject()).isTrue();
    }

    static final String ADD_XY = """
        {"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}""";

    static String toolBody(String name, String description, String parameters, boolean strict, String toolChoice, String question) {
        return "{\"model\":\"skipbench-28m\",\"messages\":[{\"role\":\"system\",\"content\":\"You can use tools.\"},{\"role\":\"user\",\"content\":\"" + question + "\"}],"
            + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + name + "\",\"description\":\"" + description + "\",\"strict\":" + strict
            + ",\"parameters\":" + parameters + "}}]" + (toolChoice == null ? "" : ",\"tool_choice\":\"" + toolChoice + "\"") + "}";
    }

    /**
     * {@code tools[].function.strict: true} is strictTools: skipbench-28m, trained on {@code add(a, b)}, offered
     * {@code add(x, y)} calls it with {@code x} and {@code y} only when strict; {@code tool_choice: "required"} with a
     * strict function makes a text question a call too, and without strict it is a 400 naming {@code tool_choice}.
     */
    @Test
    void strictFunctionsConstrainTheCall() throws Exception {
        JsonNode loose = json.readTree(post(toolBody("add", "Add two numbers a and b.", ADD_XY, false, null, "What is 37 plus 45?")).body());
        assertThat(JsonChecks.violations(ADD_XY, loose.at("/choices/0/message/tool_calls/0/function/arguments").asText())).isNotEmpty();
        HttpResponse<String> r = post(toolBody("add", "Add two numbers a and b.", ADD_XY, true, null, "What is 37 plus 45?"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode call = json.readTree(r.body()).at("/choices/0/message/tool_calls/0/function");
        assertThat(call.get("name").asText()).isEqualTo("add");
        JsonChecks.assertValid(ADD_XY, call.get("arguments").asText());

        HttpResponse<String> required = post(toolBody("add", "Add two numbers a and b.", ADD_XY, true, "required", "What is the capital of France?"));
        assertThat(required.statusCode()).as(required.body()).isEqualTo(200);
        JsonNode choice = json.readTree(required.body()).at("/choices/0");
        assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
        JsonChecks.assertValid(ADD_XY, choice.at("/message/tool_calls/0/function/arguments").asText());

        HttpResponse<String> refused = post(toolBody("add", "Add two numbers a and b.", ADD_XY, false, "required", "What is 37 plus 45?"));
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(json.readTree(refused.body()).at("/error/param").asText()).isEqualTo("tool_choice");
        assertThat(json.readTree(refused.body()).at("/error/message").asText()).contains("strict");
    }

    @Test
    void schemaErrorsAre400WithParam() throws Exception {
        HttpResponse<String> r = post(body(schemaFormat("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"^x\"}}}"), false));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = json.readTree(r.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo("response_format.json_schema.schema");
        assertThat(error.get("message").asText()).contains("'pattern'").contains("/properties/a");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");

        r = post(body("{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"object\"}}}", false));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json.readTree(r.body()).at("/error/param").asText()).isEqualTo("response_format.json_schema.name");

        r = post(body("{\"type\":\"yaml\"}", false));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json.readTree(r.body()).at("/error/param").asText()).isEqualTo("response_format.type");

        r = post(body(schemaFormat("{\"$ref\":\"#/$defs/Nope\"}"), false));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json.readTree(r.body()).at("/error/message").asText()).contains("$ref");
    }

    record Element(String name, String symbol) {}

    interface Extractor {
        Element extract(String text);
    }

    @Test
    void langChain4jOpenAiClientWithStrictSchemaExtractsARecord() {
        OpenAiChatModel client = OpenAiChatModel.builder().baseUrl(base + "/v1").apiKey("unused").modelName("skipbench-28m")
            .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true).build();
        Element element = AiServices.create(Extractor.class, client).extract("Iron has the symbol Fe.");
        assertThat(element).isNotNull();
        assertThat(element.name()).as("%s", element).isNotNull();
        assertThat(element.symbol()).as("%s", element).isNotNull();
    }
}

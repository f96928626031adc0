package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.JsonChecks;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Structured output through LangChain4j on skipbench-28m: AiServices returning a record (blocking; LangChain4j's streaming
 * AiServices cannot return records, so the streaming model's constrained text is parsed into the record), per-request and default response formats, LangChain4j schema elements with
 * definitions and references (a recursive type), metadata (constrained, skip ratio, the incomplete-value note on
 * LENGTH) and unsupported constructs refused from chat(). Every answer is checked by networknt's validator against the
 * schema LangChain4j sent. Mutation tried: leaving {@code .constraint(constraint)} out of ChatEngine.prepare fails
 * five of the seven tests (record extraction does not parse, answers do not validate, no LENGTH note).
 */
class StructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Person(String name, int age) {}

    interface Extractor {
        Person extract(String text);
    }

    private static final String PERSON_SCHEMA = """
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""";

    private static ResponseFormat personFormat() {
        return ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("Person").rootElement(
            JsonObjectSchema.builder().addStringProperty("name").addIntegerProperty("age").required("name", "age").additionalProperties(false).build()
        ).build()).build();
    }

    @Test
    void aiServicesExtractsARecord() {
        FfnSkipChatModel model = TestSupport.chatModelBuilder().build();
        Extractor extractor = AiServices.create(Extractor.class, model);
        Person person = extractor.extract("Ada Lovelace was 36 years old.");
        assertThat(person).isNotNull();
        assertThat(person.name()).as("AiServices parsed %s", person).isNotNull();
    }

    @Test
    void streamingAnswerParsesIntoTheRecord() throws Exception {
        FfnSkipStreamingChatModel model = TestSupport.streamingModelBuilder().build();
        TestSupport.RecordingHandler handler = new TestSupport.RecordingHandler();
        model.chat(ChatRequest.builder().messages(UserMessage.from("Ada Lovelace was 36 years old.")).responseFormat(personFormat()).build(), handler);
        ChatResponse response = handler.await();
        JsonChecks.assertValid(PERSON_SCHEMA, handler.text());
        assertThat(handler.text()).isEqualTo(response.aiMessage().text());
        Person person = JSON.readValue(handler.text(), Person.class);
        assertThat(person.name()).isNotNull();
        FfnSkipChatResponseMetadata meta = (FfnSkipChatResponseMetadata) response.metadata();
        assertThat(meta.structuredOutput()).isEqualTo("json_schema");

    }

    @Test
    void blockingAndStreamingAgreeAndMetadataSaysBoth() {
        FfnSkipChatModel blocking = TestSupport.chatModelBuilder().build();
        ChatResponse a = blocking.chat(ChatRequest.builder().messages(UserMessage.from("Ada Lovelace was 36 years old.")).responseFormat(personFormat()).build());
        JsonChecks.assertValid(PERSON_SCHEMA, a.aiMessage().text());
        FfnSkipChatResponseMetadata meta = (FfnSkipChatResponseMetadata) a.metadata();
        assertThat(meta.structuredOutput()).isEqualTo("json_schema");
        assertThat(meta.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(meta.note()).isNull();
        assertThat(meta.skipRatio()).as("the test policy's gate still skips under the constraint").isPositive();

        FfnSkipChatModel dense = TestSupport.chatModelBuilder().skipPolicy(null).skipEnabled(false).build();
        ChatResponse d = dense.chat(ChatRequest.builder().messages(UserMessage.from("Ada Lovelace was 36 years old.")).responseFormat(personFormat()).build());
        JsonChecks.assertValid(PERSON_SCHEMA, d.aiMessage().text());
        assertThat(((FfnSkipChatResponseMetadata) d.metadata()).skipRatio()).isZero();
    }

    @Test
    void defaultResponseFormatAndJsonMode() {
        FfnSkipChatModel model = TestSupport.chatModelBuilder().defaultRequestParameters(
            FfnSkipChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build()
        ).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("What is the chemical symbol for iron?")).build());
        if (r.finishReason() == FinishReason.STOP) assertThat(JsonChecks.parse(r.aiMessage().text()).isObject()).isTrue();
        assertThat(((FfnSkipChatResponseMetadata) r.metadata()).structuredOutput()).isEqualTo("json_object");
        // A request's TEXT format overrides the default: plain answer again.
        ChatResponse text = model.chat(ChatRequest.builder().messages(UserMessage.from("What is the chemical symbol for iron?")).responseFormat(ResponseFormat.TEXT).build());
        assertThat(text.aiMessage().text()).isEqualTo("Fe");
    }

    @Test
    void recursiveTypeWithDefinitionsAndAnyOf() {
        // A tree: {"label": string, "children": [Tree], "parent": string|null}, as LangChain4j builds it for a recursive record.
        JsonObjectSchema tree = JsonObjectSchema.builder()
            .addStringProperty("label")
            .addProperty("children", JsonArraySchema.builder().items(JsonReferenceSchema.builder().reference("Tree").build()).build())
            .addProperty("parent", JsonAnyOfSchema.builder().anyOf(new dev.langchain4j.model.chat.request.json.JsonStringSchema(), new JsonNullSchema()).build())
            .required("label", "children", "parent")
            .additionalProperties(false)
            .build();
        JsonObjectSchema root = JsonObjectSchema.builder()
            .addProperties(tree.properties()).required(tree.required()).additionalProperties(false)
            .definitions(java.util.Map.of("Tree", tree))
            .build();
        String schema = """
            {"$ref":"#/$defs/Tree","$defs":{"Tree":{"type":"object","properties":{"label":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/Tree"}},"parent":{"anyOf":[{"type":"string"},{"type":"null"}]}},"required":["label","children","parent"],"additionalProperties":false}}}""";
        FfnSkipChatModel model = TestSupport.chatModelBuilder().maxTokens(160).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Give a family tree."))
            .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("Tree").rootElement(root).build()).build()).build());
        if (r.finishReason() == FinishReason.STOP) JsonChecks.assertValid(schema, r.aiMessage().text());
        else assertThat(JsonChecks.isValidPrefix(r.aiMessage().text().getBytes(java.nio.charset.StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void tokenLimitGivesLengthAndANote() {
        FfnSkipChatModel model = TestSupport.chatModelBuilder().build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Ada Lovelace was 36 years old.")).responseFormat(personFormat()).maxOutputTokens(4).build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        FfnSkipChatResponseMetadata meta = (FfnSkipChatResponseMetadata) r.metadata();
        assertThat(meta.note()).contains("JSON value is incomplete").contains("maxOutputTokens");
        assertThat(JsonChecks.isValidPrefix(r.aiMessage().text().getBytes(java.nio.charset.StandardCharsets.UTF_8))).isTrue();
    }

    @Test
    void unsupportedConstructsAreRefusedFromChatByName() {
        FfnSkipChatModel model = TestSupport.chatModelBuilder().build();
        for (var c : List.of(
            List.of("{\"type\":\"string\",\"pattern\":\"^a$\"}", "pattern"),
            List.of("{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"minItems\":2}", "minItems"),
            List.of("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", "oneOf"),
            List.of("{\"$ref\":\"#/$defs/Missing\"}", "$ref")
        )) {
            ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON)
                .jsonSchema(JsonSchema.builder().name("x").rootElement(JsonRawSchema.from(c.get(0))).build()).build();
            assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from("hi")).responseFormat(format).build()))
                .isExactlyInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining("'" + c.get(1) + "'");
        }
        // As a builder default it fails at build time, before the model loads.
        assertThatThrownBy(() -> TestSupport.chatModelBuilder().defaultRequestParameters(ChatRequestParameters.builder()
            .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("x")
                .rootElement(JsonRawSchema.from("{\"type\":\"string\",\"format\":\"date\"}")).build()).build()).build()).build())
            .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("'format'");
    }
}

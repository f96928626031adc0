package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ffnskip.jlama.constrain.JsonConstraint;
import dev.ffnskip.jlama.constrain.JsonSchemaReader;
import dev.ffnskip.jlama.constrain.UnsupportedSchemaException;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import java.util.Iterator;
import java.util.Set;

/**
 * OpenAI's {@code response_format}: {@code {"type":"text"}}, {@code {"type":"json_object"}} (JSON mode) or
 * {@code {"type":"json_schema","json_schema":{"name":...,"schema":{...},"strict":true}}}, mapped to LangChain4j's
 * {@link ResponseFormat} (the schema travels as a {@link JsonRawSchema}, read by the provider's constrained decoding).
 * The schema is checked here so that a construct decoding cannot enforce is a 400 naming the construct and where it
 * is, with {@code param} pointing at the schema.
 */
final class ResponseFormats {
    private static final Set<String> JSON_SCHEMA_FIELDS = Set.of("name", "description", "schema", "strict");

    private ResponseFormats() {}

    /** The format, or null for text (or no response_format). */
    static ResponseFormat parse(JsonNode node) {
        if (node == null || node.isNull()) return null;
        if (!node.isObject()) throw ApiError.wrongType("response_format", "an object");
        JsonNode type = node.get("type");
        if (type == null || type.isNull()) throw ApiError.missing("response_format.type");
        if (!type.isTextual()) throw ApiError.wrongType("response_format.type", "a string");
        return switch (type.asText()) {
            case "text" -> null;
            case "json_object" -> ResponseFormat.JSON;
            case "json_schema" -> jsonSchema(node.get("json_schema"));
            default -> throw ApiError.invalid("response_format.type", "Unknown response_format type '" + type.asText() + "'; expected 'text', 'json_object' or 'json_schema'.");
        };
    }

    private static ResponseFormat jsonSchema(JsonNode js) {
        String param = "response_format.json_schema";
        if (js == null || js.isNull()) throw ApiError.missing(param);
        if (!js.isObject()) throw ApiError.wrongType(param, "an object");
        for (Iterator<String> it = js.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!JSON_SCHEMA_FIELDS.contains(f)) throw ApiError.unsupported(param + "." + f, "Unknown field '" + f + "' in response_format.json_schema.");
        }
        JsonNode name = js.get("name");
        if (name == null || name.isNull()) throw ApiError.missing(param + ".name");
        if (!name.isTextual() || !name.asText().matches("[A-Za-z0-9_-]{1,64}")) {
            throw ApiError.invalid(param + ".name", "'" + param + ".name' must be 1 to 64 letters, digits, underscores or dashes.");
        }
        JsonNode strict = js.get("strict");
        if (strict != null && !strict.isNull() && !strict.isBoolean()) throw ApiError.wrongType(param + ".strict", "a boolean");
        JsonNode schema = js.get("schema");
        // OpenAI allows omitting the schema: any JSON object then.
        if (schema == null || schema.isNull()) return ResponseFormat.JSON;
        if (!schema.isObject()) throw ApiError.wrongType(param + ".schema", "a JSON schema object");
        try {
            JsonConstraint.schema(JsonSchemaReader.read(schema)); // compiled too: references and recursion are checked
        } catch (UnsupportedSchemaException e) {
            throw ApiError.invalid(param + ".schema", "Invalid schema for response_format '" + name.asText() + "': " + e.getMessage() + ".");
        }
        return ResponseFormat.builder()
            .type(ResponseFormatType.JSON)
            .jsonSchema(JsonSchema.builder().name(name.asText()).rootElement(JsonRawSchema.from(schema.toString())).build())
            .build();
    }
}

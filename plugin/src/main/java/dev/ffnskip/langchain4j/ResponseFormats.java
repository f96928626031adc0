package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.constrain.JsonConstraint;
import dev.ffnskip.jlama.constrain.JsonSchemaReader;
import dev.ffnskip.jlama.constrain.SchemaDocument;
import dev.ffnskip.jlama.constrain.SchemaNode;
import dev.ffnskip.jlama.constrain.UnsupportedSchemaException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonAnyOfSchema;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonNullSchema;
import dev.langchain4j.model.chat.request.json.JsonNumberSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonReferenceSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Maps LangChain4j's {@link ResponseFormat} onto jlama-patch's constrained decoding: {@code JSON} without a schema is
 * JSON mode (any object), with a {@link dev.langchain4j.model.chat.request.json.JsonSchema} its elements become the
 * engine's {@link SchemaNode}s (descriptions dropped: they do not constrain). Definitions found on any object schema
 * are collected, so {@link JsonReferenceSchema}s resolve (recursive records). A {@link JsonRawSchema} is read as JSON
 * Schema text. What cannot be enforced is an {@link UnsupportedFeatureException} naming the construct.
 */
final class ResponseFormats {
    private ResponseFormats() {}

    /** The constraint for a response format, or null for plain text. */
    static JsonConstraint constraint(ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) return null;
        try {
            if (format.jsonSchema() == null || format.jsonSchema().rootElement() == null) return JsonConstraint.jsonObject();
            return JsonConstraint.schema(document(format.jsonSchema().rootElement()));
        } catch (UnsupportedSchemaException e) {
            throw new UnsupportedFeatureException(
                "JSON schema construct '" + e.construct() + "' is not supported by the ffn-skip chat model's constrained decoding: " + e.getMessage()
            );
        }
    }

    static SchemaDocument document(JsonSchemaElement root) {
        if (root instanceof JsonRawSchema raw) return JsonSchemaReader.read(raw.schema());
        Map<String, SchemaNode> definitions = new LinkedHashMap<>();
        SchemaNode node = new Mapper(definitions).map(root);
        return new SchemaDocument(node, definitions);
    }

    private record Mapper(Map<String, SchemaNode> definitions) {
        SchemaNode map(JsonSchemaElement element) {
            return switch (element) {
                case JsonObjectSchema o -> object(o);
                case JsonStringSchema s -> new SchemaNode.StringNode();
                case JsonIntegerSchema s -> new SchemaNode.IntegerNode();
                case JsonNumberSchema s -> new SchemaNode.NumberNode();
                case JsonBooleanSchema s -> new SchemaNode.BooleanNode();
                case JsonNullSchema s -> new SchemaNode.NullNode();
                case JsonEnumSchema e -> SchemaNode.EnumNode.ofStrings(e.enumValues());
                case JsonArraySchema a -> new SchemaNode.ArrayNode(a.items() == null ? new SchemaNode.AnyNode() : map(a.items()));
                case JsonAnyOfSchema a -> {
                    List<SchemaNode> alternatives = new ArrayList<>();
                    for (JsonSchemaElement alt : a.anyOf()) alternatives.add(map(alt));
                    yield new SchemaNode.AnyOfNode(alternatives);
                }
                case JsonReferenceSchema r -> {
                    if (r.reference() == null) throw new UnsupportedSchemaException("$ref", "a JsonReferenceSchema without a reference");
                    yield new SchemaNode.RefNode(r.reference());
                }
                case JsonRawSchema raw -> {
                    SchemaDocument inner = JsonSchemaReader.read(raw.schema());
                    if (!inner.definitions().isEmpty()) throw new UnsupportedSchemaException("$defs", "definitions inside a nested JsonRawSchema are not supported");
                    yield inner.root();
                }
                default -> throw new UnsupportedSchemaException(element.getClass().getSimpleName(), "the schema element " + element.getClass().getSimpleName() + " is not supported");
            };
        }

        SchemaNode object(JsonObjectSchema o) {
            if (o.definitions() != null) {
                for (Map.Entry<String, JsonSchemaElement> e : o.definitions().entrySet()) {
                    if (!definitions.containsKey(e.getKey())) {
                        definitions.put(e.getKey(), new SchemaNode.AnyNode()); // placeholder: a definition may refer to itself
                        definitions.put(e.getKey(), map(e.getValue()));
                    }
                }
            }
            Map<String, SchemaNode> properties = new LinkedHashMap<>();
            if (o.properties() != null) o.properties().forEach((name, schema) -> properties.put(name, map(schema)));
            List<String> required = o.required() == null ? List.of() : o.required();
            SchemaNode additional = properties.isEmpty() && !Boolean.FALSE.equals(o.additionalProperties()) ? new SchemaNode.AnyNode() : null;
            return new SchemaNode.ObjectNode(properties, new LinkedHashSet<>(required), additional);
        }
    }
}

package dev.ffnskip.examples.server;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tool parameter schemas (JSON Schema, as OpenAI documents them for function parameters) as LangChain4j schema
 * elements: {@code type} as a string or an array ({@code ["string", "null"]} becomes an any-of), {@code anyOf},
 * {@code enum} and {@code const}, {@code nullable}, {@code properties}/{@code required}, {@code items},
 * {@code additionalProperties}, and {@code $ref} into {@code $defs} or {@code definitions} (resolved in place;
 * a recursive reference stays a reference, its definition kept on the root object). Annotations and value
 * constraints ({@code title}, {@code default}, {@code format}, {@code pattern}, {@code minimum}, ...) are accepted;
 * the model is prompted with the structure, not with them. Anything else ({@code oneOf}, {@code allOf}, {@code not},
 * {@code if}, {@code prefixItems}, an unknown type, a reference outside the document, ...) is a 400
 * {@code unsupported_parameter} that names the keyword and where it is.
 */
final class ToolSchemas {
    /** Keywords that shape the schema. */
    static final Set<String> STRUCTURE = Set.of(
        "type", "properties", "required", "items", "enum", "const", "anyOf", "$ref", "$defs", "definitions",
        "additionalProperties", "description", "nullable"
    );
    /** Keywords accepted but not shown to the model: annotations and value constraints. */
    static final Set<String> ANNOTATIONS = Set.of(
        "title", "default", "examples", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties",
        "maxProperties", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "strict"
    );
    private static final int MAX_DEPTH = 32;

    private final JsonNode root;
    private final String rootParam;
    private final Deque<String> resolving = new ArrayDeque<>();
    private final Set<String> recursive = new LinkedHashSet<>();

    private ToolSchemas(JsonNode root, String rootParam) {
        this.root = root;
        this.rootParam = rootParam;
    }

    /** The parameters object of one tool; {@code param} names it in errors (e.g. {@code tools[0].function.parameters}). */
    static JsonObjectSchema parameters(JsonNode schema, String param) {
        ToolSchemas converter = new ToolSchemas(schema, param);
        JsonSchemaElement element = converter.convert(schema, param, 0);
        if (!(element instanceof JsonObjectSchema object)) {
            throw ApiError.invalid(param, "Tool parameters must be a JSON schema of type 'object'.");
        }
        if (converter.recursive.isEmpty()) return object;
        Map<String, JsonSchemaElement> definitions = new LinkedHashMap<>();
        for (int i = 0; i < converter.recursive.size(); i++) { // the set grows while definitions are converted
            String name = new ArrayList<>(converter.recursive).get(i);
            converter.resolving.push(name);
            definitions.put(name, converter.convert(converter.definition(name, param), converter.definitionParam(name), 0));
            converter.resolving.pop();
        }
        return JsonObjectSchema.builder()
            .description(object.description())
            .addProperties(object.properties())
            .required(object.required() == null ? List.of() : object.required())
            .additionalProperties(object.additionalProperties())
            .definitions(definitions)
            .build();
    }

    private JsonSchemaElement convert(JsonNode s, String param, int depth) {
        if (depth > MAX_DEPTH) throw ApiError.unsupported(param, "Tool parameter schema is nested deeper than " + MAX_DEPTH + " levels at '" + param + "'.");
        if (s.isBoolean()) {
            if (!s.asBoolean()) throw ApiError.unsupported(param, "The schema 'false' (no value allowed) is not supported at '" + param + "'.");
            return any();
        }
        if (!s.isObject()) throw ApiError.wrongType(param, "a JSON schema object");
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String keyword = it.next();
            if (!STRUCTURE.contains(keyword) && !ANNOTATIONS.contains(keyword) && !keyword.startsWith("x-")) {
                throw ApiError.unsupported(param + "." + keyword, "JSON schema keyword '" + keyword + "' at '" + param + "' is not supported in tool parameters.");
            }
        }
        String description = s.hasNonNull("description") ? s.get("description").asText() : null;
        if (s.hasNonNull("$ref")) return reference(s, param, description, depth);
        JsonSchemaElement element;
        if (s.has("anyOf")) {
            JsonNode options = s.get("anyOf");
            if (!options.isArray() || options.isEmpty()) throw ApiError.invalid(param + ".anyOf", "'anyOf' must be a non-empty array of schemas.");
            List<JsonSchemaElement> elements = new ArrayList<>();
            for (int i = 0; i < options.size(); i++) elements.add(convert(options.get(i), param + ".anyOf[" + i + "]", depth + 1));
            element = JsonAnyOfSchema.builder().description(description).anyOf(elements).build();
        } else if (s.has("enum") || s.has("const")) {
            element = enumeration(s, param, description);
        } else {
            JsonNode type = s.get("type");
            if (type == null || type.isNull()) {
                element = s.has("properties") ? typed("object", s, param, description, depth)
                    : s.has("items") ? typed("array", s, param, description, depth)
                    : any(description);
            } else if (type.isTextual()) {
                element = typed(type.asText(), s, param, description, depth);
            } else if (type.isArray() && !type.isEmpty()) {
                List<JsonSchemaElement> elements = new ArrayList<>();
                for (JsonNode t : type) {
                    if (!t.isTextual()) throw ApiError.wrongType(param + ".type", "a type name or an array of type names");
                    elements.add(typed(t.asText(), s, param, elements.isEmpty() ? description : null, depth));
                }
                element = elements.size() == 1 ? elements.get(0) : JsonAnyOfSchema.builder().description(description).anyOf(elements).build();
            } else {
                throw ApiError.wrongType(param + ".type", "a type name or a non-empty array of type names");
            }
        }
        if (s.path("nullable").asBoolean(false) && !(element instanceof JsonNullSchema)) {
            element = JsonAnyOfSchema.builder().description(description).anyOf(element, new JsonNullSchema()).build();
        }
        return element;
    }

    private JsonSchemaElement typed(String type, JsonNode s, String param, String description, int depth) {
        return switch (type) {
            case "string" -> JsonStringSchema.builder().description(description).build();
            case "integer" -> JsonIntegerSchema.builder().description(description).build();
            case "number" -> JsonNumberSchema.builder().description(description).build();
            case "boolean" -> JsonBooleanSchema.builder().description(description).build();
            case "null" -> new JsonNullSchema();
            case "array" -> {
                JsonArraySchema.Builder array = JsonArraySchema.builder().description(description);
                JsonNode items = s.get("items");
                if (items != null && !items.isNull()) {
                    if (items.isArray()) throw ApiError.unsupported(param + ".items", "Tuple 'items' (an array of schemas) at '" + param + "' is not supported.");
                    array.items(convert(items, param + ".items", depth + 1));
                }
                yield array.build();
            }
            case "object" -> {
                JsonObjectSchema.Builder object = JsonObjectSchema.builder().description(description);
                JsonNode properties = s.get("properties");
                if (properties != null && !properties.isNull()) {
                    if (!properties.isObject()) throw ApiError.wrongType(param + ".properties", "an object of schemas");
                    for (Map.Entry<String, JsonNode> p : properties.properties()) {
                        object.addProperty(p.getKey(), convert(p.getValue(), param + ".properties." + p.getKey(), depth + 1));
                    }
                }
                JsonNode required = s.get("required");
                if (required != null && !required.isNull()) {
                    if (!required.isArray()) throw ApiError.wrongType(param + ".required", "an array of property names");
                    List<String> names = new ArrayList<>();
                    for (JsonNode r : required) {
                        if (!r.isTextual()) throw ApiError.wrongType(param + ".required", "an array of property names");
                        names.add(r.asText());
                    }
                    object.required(names);
                }
                JsonNode additional = s.get("additionalProperties");
                if (additional != null && !additional.isNull()) {
                    if (additional.isBoolean()) object.additionalProperties(additional.asBoolean());
                    else if (additional.isObject()) {
                        convert(additional, param + ".additionalProperties", depth + 1); // checked; the prompt shows "any more properties"
                        object.additionalProperties(true);
                    } else throw ApiError.wrongType(param + ".additionalProperties", "a boolean or a schema");
                }
                yield object.build();
            }
            default -> throw ApiError.unsupported(param + ".type", "Unsupported JSON schema type '" + type + "' at '" + param + "' in tool parameters.");
        };
    }

    private static JsonSchemaElement enumeration(JsonNode s, String param, String description) {
        List<JsonNode> values = new ArrayList<>();
        if (s.has("const")) values.add(s.get("const"));
        if (s.has("enum")) {
            JsonNode e = s.get("enum");
            if (!e.isArray() || e.isEmpty()) throw ApiError.invalid(param + ".enum", "'enum' must be a non-empty array.");
            e.forEach(values::add);
        }
        List<String> names = new ArrayList<>();
        boolean nullable = false;
        for (JsonNode v : values) {
            if (v.isNull()) nullable = true;
            else if (v.isValueNode()) names.add(v.asText());
            else throw ApiError.unsupported(param + ".enum", "Enum values must be strings, numbers, booleans or null at '" + param + "'.");
        }
        if (names.isEmpty()) return new JsonNullSchema();
        JsonSchemaElement element = JsonEnumSchema.builder().description(description).enumValues(names).build();
        return nullable ? JsonAnyOfSchema.builder().description(description).anyOf(element, new JsonNullSchema()).build() : element;
    }

    /** {@code $ref}: {@code #} (the root), {@code #/$defs/NAME} or {@code #/definitions/NAME}, resolved in place. */
    private JsonSchemaElement reference(JsonNode s, String param, String description, int depth) {
        String ref = s.get("$ref").asText();
        String name;
        if (ref.equals("#")) name = "#";
        else if (ref.startsWith("#/$defs/")) name = ref.substring("#/$defs/".length());
        else if (ref.startsWith("#/definitions/")) name = ref.substring("#/definitions/".length());
        else throw ApiError.unsupported(param + ".$ref", "'$ref' '" + ref + "' at '" + param + "' is not supported: only references into the schema's own '$defs' or 'definitions' are.");
        if (resolving.contains(name)) { // recursive: keep the reference, its definition goes on the root object
            recursive.add(name);
            return JsonReferenceSchema.builder().reference(name).build();
        }
        JsonNode target = definition(name, param);
        resolving.push(name);
        try {
            JsonSchemaElement resolved = convert(target, definitionParam(name), depth + 1);
            return description == null ? resolved : withDescription(resolved, description);
        } finally {
            resolving.pop();
        }
    }

    private JsonNode definition(String name, String param) {
        if (name.equals("#")) return root;
        JsonNode target = root.path("$defs").get(name);
        if (target == null) target = root.path("definitions").get(name);
        if (target == null) throw ApiError.invalid(param + ".$ref", "'$ref' at '" + param + "' names the unknown definition '" + name + "'.");
        return target;
    }

    private String definitionParam(String name) {
        return name.equals("#") ? rootParam : rootParam + ".$defs." + name;
    }

    /** A reference's own description overrides its target's (as in OpenAI's examples). */
    private static JsonSchemaElement withDescription(JsonSchemaElement e, String description) {
        return switch (e) {
            case JsonStringSchema x -> JsonStringSchema.builder().description(description).build();
            case JsonIntegerSchema x -> JsonIntegerSchema.builder().description(description).build();
            case JsonNumberSchema x -> JsonNumberSchema.builder().description(description).build();
            case JsonBooleanSchema x -> JsonBooleanSchema.builder().description(description).build();
            case JsonEnumSchema x -> JsonEnumSchema.builder().description(description).enumValues(x.enumValues()).build();
            case JsonArraySchema x -> JsonArraySchema.builder().description(description).items(x.items()).build();
            case JsonAnyOfSchema x -> JsonAnyOfSchema.builder().description(description).anyOf(x.anyOf()).build();
            case JsonObjectSchema x -> JsonObjectSchema.builder().description(description).addProperties(x.properties())
                .required(x.required() == null ? List.of() : x.required()).additionalProperties(x.additionalProperties()).build();
            default -> e;
        };
    }

    private static JsonSchemaElement any() {
        return any(null);
    }

    /** A schema without a type (any JSON value). */
    private static JsonSchemaElement any(String description) {
        return description == null ? JsonRawSchema.from("{}") : JsonRawSchema.from(Json.object().put("description", description).toString());
    }
}

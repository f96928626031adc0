package dev.ffnskip.jlama.constrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads JSON Schema as OpenAI clients send it (draft 2020-12 subset: {@code type} or a type array such as
 * {@code ["integer","null"]}, {@code properties}, {@code required}, {@code additionalProperties}, {@code items},
 * {@code enum}, {@code const}, {@code anyOf}, {@code $defs}/{@code definitions} with {@code $ref}, {@code "#"} for
 * the root) into a {@link SchemaDocument}. Annotations (description, title, default ...) are ignored; every keyword
 * that would constrain values in a way the grammar does not enforce is rejected with an
 * {@link UnsupportedSchemaException} naming it, so output is never silently invalid.
 */
public final class JsonSchemaReader {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ANNOTATIONS = Set.of(
        "description", "title", "$schema", "$id", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "$anchor"
    );
    private static final Set<String> UNDERSTOOD = Set.of(
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$ref", "$defs", "definitions"
    );
    private static final String ROOT = "#";

    private final Map<String, SchemaNode> definitions = new LinkedHashMap<>();
    private final JsonNode rootNode;

    private JsonSchemaReader(JsonNode rootNode) {
        this.rootNode = rootNode;
    }

    public static SchemaDocument read(String schemaJson) {
        try {
            return read(JSON.readTree(schemaJson));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UnsupportedSchemaException("schema", "the schema is not valid JSON: " + e.getOriginalMessage());
        }
    }

    public static SchemaDocument read(JsonNode schema) {
        if (schema == null || schema.isMissingNode() || schema.isNull()) throw new UnsupportedSchemaException("schema", "no schema given");
        JsonSchemaReader reader = new JsonSchemaReader(schema);
        for (String defsKey : List.of("$defs", "definitions")) {
            JsonNode defs = schema.path(defsKey);
            if (defs.isMissingNode()) continue;
            if (!defs.isObject()) throw new UnsupportedSchemaException(defsKey, "/" + defsKey, defsKey + " must be an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = defs.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = "/" + defsKey + "/" + e.getKey();
                reader.definitions.put("#" + path, reader.node(e.getValue(), path));
            }
        }
        SchemaNode root = reader.node(schema, "");
        if (reader.usesRoot) reader.definitions.put(ROOT, root);
        return new SchemaDocument(root, reader.definitions);
    }

    private boolean usesRoot;

    private SchemaNode node(JsonNode s, String path) {
        if (s.isBoolean()) {
            if (s.asBoolean()) return new SchemaNode.AnyNode();
            throw new UnsupportedSchemaException("false", path, "the schema 'false' matches no value");
        }
        if (!s.isObject()) throw new UnsupportedSchemaException("schema", path, "a schema must be an object or a boolean, was " + s.getNodeType());
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (ANNOTATIONS.contains(key) || UNDERSTOOD.contains(key)) continue;
            throw new UnsupportedSchemaException(key, path, "the JSON Schema keyword '" + key + "' is not supported by constrained decoding");
        }
        if (s.has("$ref")) {
            if (s.size() - annotationCount(s) > 1) {
                throw new UnsupportedSchemaException("$ref", path, "$ref next to other constraining keywords is not supported");
            }
            String ref = s.get("$ref").asText();
            if (ref.equals(ROOT)) {
                usesRoot = true;
                return new SchemaNode.RefNode(ROOT);
            }
            if (!(ref.startsWith("#/$defs/") || ref.startsWith("#/definitions/")) || ref.substring(2).split("/").length != 2) {
                throw new UnsupportedSchemaException("$ref", path, "$ref '" + ref + "': only references to the root's $defs or definitions (or '#') are supported");
            }
            if (rootNode.at(ref.substring(1)).isMissingNode()) {
                throw new UnsupportedSchemaException("$ref", path, "$ref '" + ref + "' names no definition");
            }
            return new SchemaNode.RefNode(ref);
        }
        if (s.has("$defs") && !path.isEmpty() || s.has("definitions") && !path.isEmpty()) {
            throw new UnsupportedSchemaException("$defs", path, "definitions are supported at the root schema only");
        }
        if (s.has("const")) return literals(List.of(s.get("const")), s, path + "/const");
        if (s.has("enum")) {
            JsonNode values = s.get("enum");
            if (!values.isArray() || values.isEmpty()) throw new UnsupportedSchemaException("enum", path, "enum must be a non-empty array");
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            return literals(list, s, path + "/enum");
        }
        if (s.has("anyOf")) {
            JsonNode alts = s.get("anyOf");
            if (!alts.isArray() || alts.isEmpty()) throw new UnsupportedSchemaException("anyOf", path, "anyOf must be a non-empty array");
            if (s.has("type") || s.has("properties") || s.has("items")) {
                throw new UnsupportedSchemaException("anyOf", path, "anyOf next to type, properties or items is not supported; move them into the alternatives");
            }
            List<SchemaNode> nodes = new ArrayList<>();
            for (int i = 0; i < alts.size(); i++) nodes.add(node(alts.get(i), path + "/anyOf/" + i));
            return nodes.size() == 1 ? nodes.get(0) : new SchemaNode.AnyOfNode(nodes);
        }
        JsonNode type = s.get("type");
        if (type == null) {
            if (s.has("properties") || s.has("additionalProperties") || s.has("required")) return typed("object", s, path);
            if (s.has("items")) return typed("array", s, path);
            return new SchemaNode.AnyNode();
        }
        if (type.isTextual()) return typed(type.asText(), s, path);
        if (type.isArray() && !type.isEmpty()) {
            List<SchemaNode> nodes = new ArrayList<>();
            Set<String> seen = new LinkedHashSet<>();
            for (JsonNode t : type) {
                if (!t.isTextual()) throw new UnsupportedSchemaException("type", path + "/type", "type array entries must be strings");
                if (seen.add(t.asText())) nodes.add(typed(t.asText(), s, path));
            }
            if (seen.contains("integer") && seen.contains("number")) nodes.removeIf(n -> n instanceof SchemaNode.IntegerNode);
            return nodes.size() == 1 ? nodes.get(0) : new SchemaNode.AnyOfNode(nodes);
        }
        throw new UnsupportedSchemaException("type", path + "/type", "type must be a string or a non-empty array of strings");
    }

    private SchemaNode typed(String type, JsonNode s, String path) {
        return switch (type) {
            case "object" -> object(s, path);
            case "array" -> {
                JsonNode items = s.get("items");
                if (items == null) yield new SchemaNode.ArrayNode(new SchemaNode.AnyNode());
                if (items.isArray()) throw new UnsupportedSchemaException("items", path + "/items", "tuple items (an array of schemas) are not supported");
                yield new SchemaNode.ArrayNode(node(items, path + "/items"));
            }
            case "string" -> new SchemaNode.StringNode();
            case "integer" -> new SchemaNode.IntegerNode();
            case "number" -> new SchemaNode.NumberNode();
            case "boolean" -> new SchemaNode.BooleanNode();
            case "null" -> new SchemaNode.NullNode();
            default -> throw new UnsupportedSchemaException("type", path + "/type", "unknown type '" + type + "'");
        };
    }

    private SchemaNode object(JsonNode s, String path) {
        Map<String, SchemaNode> properties = new LinkedHashMap<>();
        JsonNode props = s.path("properties");
        if (!props.isMissingNode()) {
            if (!props.isObject()) throw new UnsupportedSchemaException("properties", path + "/properties", "properties must be an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                properties.put(e.getKey(), node(e.getValue(), path + "/properties/" + e.getKey()));
            }
        }
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = s.path("required");
        if (!req.isMissingNode()) {
            if (!req.isArray()) throw new UnsupportedSchemaException("required", path + "/required", "required must be an array of names");
            req.forEach(r -> required.add(r.asText()));
        }
        for (String r : required) {
            if (!properties.containsKey(r)) {
                throw new UnsupportedSchemaException("required", path + "/required", "required property '" + r + "' is not declared in properties");
            }
        }
        JsonNode extra = s.get("additionalProperties");
        SchemaNode additional;
        if (extra == null || extra.isBoolean() && extra.asBoolean()) additional = new SchemaNode.AnyNode();
        else if (extra.isBoolean()) additional = null;
        else additional = node(extra, path + "/additionalProperties");
        if (properties.size() > 64) throw new UnsupportedSchemaException("properties", path + "/properties", "objects with more than 64 properties are not supported");
        // Declared properties present: only they are generated (a valid subset whatever additionalProperties allows).
        return new SchemaNode.ObjectNode(properties, required, properties.isEmpty() ? additional : null);
    }

    private SchemaNode literals(List<JsonNode> values, JsonNode s, String path) {
        JsonNode type = s.get("type");
        List<String> out = new ArrayList<>();
        for (JsonNode v : values) {
            if (type != null && !matchesType(v, type)) continue;
            try {
                out.add(JSON.writeValueAsString(v));
            } catch (IOException e) {
                throw new UnsupportedSchemaException("enum", path, "cannot write enum value " + v);
            }
        }
        if (out.isEmpty()) throw new UnsupportedSchemaException("enum", path, "no enum value matches the schema's type " + type);
        return new SchemaNode.EnumNode(out);
    }

    private static boolean matchesType(JsonNode v, JsonNode type) {
        if (type.isArray()) {
            for (JsonNode t : type) if (matchesType(v, t)) return true;
            return false;
        }
        return switch (type.asText()) {
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || v.isNumber() && v.asDouble() == Math.rint(v.asDouble());
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            default -> false;
        };
    }

    private static int annotationCount(JsonNode s) {
        int n = 0;
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (ANNOTATIONS.contains(key) || key.equals("$defs") || key.equals("definitions")) n++;
        }
        return n;
    }
}

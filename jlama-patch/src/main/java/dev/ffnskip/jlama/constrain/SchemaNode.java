package dev.ffnskip.jlama.constrain;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The JSON value shapes constrained decoding can enforce: the subset of JSON Schema that LangChain4j produces for
 * records, POJOs, enums and lists, and that OpenAI's strict structured outputs accept. Descriptions and titles are not
 * part of the model (they do not constrain the grammar). Built by {@link JsonSchemaReader} from JSON Schema text or by
 * callers (the LangChain4j provider) directly.
 */
public sealed interface SchemaNode {
    /** An object. Only the declared properties are ever generated; {@code additionalProperties} is used only by an
     * object without declared properties (a map), null meaning no other keys at all.
     *
     * @param properties declared properties in order (at most 64)
     * @param required names that must appear (all declared)
     * @param additionalProperties the value schema of undeclared keys, or null when they are not allowed
     */
    record ObjectNode(Map<String, SchemaNode> properties, Set<String> required, SchemaNode additionalProperties) implements SchemaNode {
        public ObjectNode {
            properties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(properties));
            required = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(required));
            for (String r : required) {
                if (!properties.containsKey(r)) throw new UnsupportedSchemaException("required", "required property '" + r + "' is not declared in properties");
            }
            if (properties.size() > 64) throw new UnsupportedSchemaException("properties", "objects with more than 64 properties are not supported (" + properties.size() + ")");
        }

        /** Any JSON object (JSON mode). */
        public static ObjectNode anyObject() {
            return new ObjectNode(Map.of(), Set.of(), new AnyNode());
        }
    }

    record StringNode() implements SchemaNode {}

    record IntegerNode() implements SchemaNode {}

    record NumberNode() implements SchemaNode {}

    record BooleanNode() implements SchemaNode {}

    record NullNode() implements SchemaNode {}

    /** One of fixed values, each given as its compact JSON text (e.g. {@code "\"RED\""}, {@code "3"}, {@code "null"}). */
    record EnumNode(List<String> jsonValues) implements SchemaNode {
        public EnumNode {
            jsonValues = List.copyOf(jsonValues);
            if (jsonValues.isEmpty()) throw new UnsupportedSchemaException("enum", "an enum needs at least one value");
        }

        /** An enum of strings (JSON-escaped here). */
        public static EnumNode ofStrings(List<String> values) {
            return new EnumNode(values.stream().map(JsonText::quote).toList());
        }
    }

    record ArrayNode(SchemaNode items) implements SchemaNode {
        public ArrayNode {
            Objects.requireNonNull(items, "items");
        }
    }

    record AnyOfNode(List<SchemaNode> alternatives) implements SchemaNode {
        public AnyOfNode {
            alternatives = List.copyOf(alternatives);
            if (alternatives.isEmpty()) throw new UnsupportedSchemaException("anyOf", "anyOf needs at least one alternative");
        }
    }

    /** A reference to one of the document's {@link SchemaDocument#definitions() definitions}, by name. */
    record RefNode(String name) implements SchemaNode {
        public RefNode {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Any JSON value. */
    record AnyNode() implements SchemaNode {}
}

package dev.ffnskip.jlama.constrain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A root schema with the named definitions its {@link SchemaNode.RefNode references} point to (recursive types).
 *
 * @param root the shape of the whole output
 * @param definitions named shapes, referenced by name
 */
public record SchemaDocument(SchemaNode root, Map<String, SchemaNode> definitions) {
    public SchemaDocument {
        Objects.requireNonNull(root, "root");
        definitions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(definitions));
    }

    public static SchemaDocument of(SchemaNode root) {
        return new SchemaDocument(root, Map.of());
    }

    /** JSON mode: any JSON object. */
    public static SchemaDocument anyObject() {
        return of(SchemaNode.ObjectNode.anyObject());
    }
}

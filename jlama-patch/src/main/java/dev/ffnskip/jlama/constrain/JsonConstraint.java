package dev.ffnskip.jlama.constrain;

import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import java.util.Set;

/**
 * Structured output for a generation: the output must be one JSON value matching a schema ({@link #schema}) or any
 * JSON object ({@link #jsonObject}, JSON mode). Put it on {@code GenerationRequest.constraint}. Immutable; the
 * schema is compiled once here, so build it before decoding to get {@link UnsupportedSchemaException} early.
 */
public final class JsonConstraint implements TokenConstraint {
    private final JsonGrammar grammar;
    private final String kind;

    private JsonConstraint(JsonGrammar grammar, String kind) {
        this.grammar = grammar;
        this.kind = kind;
    }

    public static JsonConstraint schema(SchemaDocument document) {
        return new JsonConstraint(JsonGrammar.compile(document), "json_schema");
    }

    /** From JSON Schema text (see {@link JsonSchemaReader} for what is supported). */
    public static JsonConstraint schema(String jsonSchema) {
        return schema(JsonSchemaReader.read(jsonSchema));
    }

    public static JsonConstraint jsonObject() {
        return new JsonConstraint(JsonGrammar.anyObject(), "json_object");
    }

    public JsonGrammar grammar() {
        return grammar;
    }

    @Override
    public State start(TokenBytes tokens, Set<Integer> endTokens, int vocabularySize) {
        return new JsonTokenMask(grammar, tokens, endTokens, vocabularySize);
    }

    @Override
    public String kind() {
        return kind;
    }
}

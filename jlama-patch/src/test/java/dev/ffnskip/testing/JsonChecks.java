package dev.ffnskip.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.util.Set;

/**
 * Independent checks of constrained output: Jackson's non-blocking parser for "is this byte string a valid JSON
 * prefix" and networknt's JSON Schema validator (draft 2020-12) for "does this value match its schema".
 */
public final class JsonChecks {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private JsonChecks() {}

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("Not valid JSON: " + json, e);
        }
    }

    /** Messages of the validator, empty when {@code value} matches {@code schema}. */
    public static Set<ValidationMessage> violations(String schema, String value) {
        JsonSchema s = SCHEMAS.getSchema(parse(schema));
        return s.validate(parse(value));
    }

    /** Throws unless {@code value} parses and matches {@code schema}. */
    public static void assertValid(String schema, String value) {
        Set<ValidationMessage> errors = violations(schema, value);
        if (!errors.isEmpty()) throw new AssertionError("Output " + value + " does not match its schema " + schema + ": " + errors);
    }

    /** True when {@code bytes} can be continued into one valid JSON value (Jackson's incremental parser finds no error). */
    public static boolean isValidPrefix(byte[] bytes) {
        try (JsonParser p = FACTORY.createNonBlockingByteArrayParser()) {
            ByteArrayFeeder feeder = (ByteArrayFeeder) p.getNonBlockingInputFeeder();
            feeder.feedInput(bytes, 0, bytes.length);
            int depth = 0;
            boolean rootDone = false;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.NOT_AVAILABLE && t != null) {
                if (rootDone) return false; // a second value after the first
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) depth++;
                else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) depth--;
                if (depth == 0 && t != JsonToken.FIELD_NAME) rootDone = true;
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

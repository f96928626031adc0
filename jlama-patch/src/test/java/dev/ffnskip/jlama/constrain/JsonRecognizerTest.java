package dev.ffnskip.jlama.constrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte-level recognizer and the schema reader on hand-picked inputs: what is a valid prefix, what completes, what is refused. */
class JsonRecognizerTest {
    private static boolean prefix(String schema, String text) {
        return JsonConstraintPropertyTest.fromScratch(JsonConstraint.schema(schema).grammar(), text.getBytes(StandardCharsets.UTF_8));
    }

    private static boolean complete(String schema, String text) {
        JsonGrammar g = JsonConstraint.schema(schema).grammar();
        JsonRecognizer r = new JsonRecognizer(g);
        ParseState a = new ParseState(8, 96), b = new ParseState(8, 96);
        r.reset(a);
        for (byte x : text.getBytes(StandardCharsets.UTF_8)) {
            r.step(a, x & 0xFF, b);
            if (b.count == 0) return false;
            ParseState t = a;
            a = b;
            b = t;
        }
        return r.complete(a);
    }

    static final String PERSON = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\"}},\"required\":[\"name\"],\"additionalProperties\":false}";

    @Test
    void objectsKeysAndRequired() {
        assertThat(complete(PERSON, "{\"name\": \"Ada\", \"age\": 36}")).isTrue();
        assertThat(complete(PERSON, "{\"age\":36,\"name\":\"Ada\"}")).as("any order").isTrue();
        assertThat(complete(PERSON, "{\"name\":\"Ada\"}")).as("optional age").isTrue();
        assertThat(prefix(PERSON, "{\"age\":36}")).as("required name missing: cannot close").isFalse();
        assertThat(prefix(PERSON, "{\"name\":\"A\",\"name\"")).as("a key twice").isFalse();
        assertThat(prefix(PERSON, "{\"nick")).as("undeclared key").isFalse();
        assertThat(prefix(PERSON, "{\"na")).isTrue();
        assertThat(prefix(PERSON, " {")).as("no leading whitespace").isFalse();
        assertThat(prefix(PERSON, "{\"name\":  \"")).as("one space at most").isFalse();
        assertThat(prefix(PERSON, "{\"name\":\"Ada\"} ")).as("nothing after the value").isFalse();
    }

    @Test
    void stringsAreUtf8AndEscapesAreChecked() {
        String s = "{\"type\":\"string\"}";
        assertThat(complete(s, "\"na\u00efve \u4e2d \ud83d\ude00\"")).isTrue();
        assertThat(complete(s, "\"a\\n\\u00e9\\\"\"")).isTrue();
        assertThat(prefix(s, "\"\\x")).isFalse();
        assertThat(prefix(s, "\"\\u00g")).isFalse();
        assertThat(JsonConstraintPropertyTest.fromScratch(JsonConstraint.schema(s).grammar(), new byte[] { '"', (byte) 0xC3 })).as("half a character").isTrue();
        assertThat(JsonConstraintPropertyTest.fromScratch(JsonConstraint.schema(s).grammar(), new byte[] { '"', (byte) 0xC3, '"' })).as("cut character").isFalse();
        assertThat(JsonConstraintPropertyTest.fromScratch(JsonConstraint.schema(s).grammar(), new byte[] { '"', (byte) 0xED, (byte) 0xA0 })).as("surrogate in UTF-8").isFalse();
        assertThat(JsonConstraintPropertyTest.fromScratch(JsonConstraint.schema(s).grammar(), new byte[] { '"', 0x01 })).as("control byte").isFalse();
    }

    @Test
    void numbers() {
        String n = "{\"type\":\"number\"}", i = "{\"type\":\"integer\"}";
        assertThat(complete(n, "-0.5e+10")).isTrue();
        assertThat(complete(n, "12.")).isFalse();
        assertThat(prefix(n, "01")).isFalse();
        assertThat(complete(i, "-123")).isTrue();
        assertThat(prefix(i, "1.")).isFalse();
        assertThat(prefix(i, "1234567890")).as("ten digits do not fit an int").isFalse();
        assertThat(complete("{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", "[1, 22,333]")).isTrue();
    }

    @Test
    void typeArraysEnumsAnyOfAndRecursion() {
        assertThat(complete("{\"type\":[\"integer\",\"null\"]}", "null")).isTrue();
        assertThat(complete("{\"type\":[\"integer\",\"null\"]}", "7")).isTrue();
        assertThat(prefix("{\"type\":[\"integer\",\"null\"]}", "\"")).isFalse();
        String e = "{\"enum\":[\"a\",\"ab\",1,12,null]}";
        assertThat(complete(e, "\"ab\"")).isTrue();
        assertThat(complete(e, "1")).isTrue();
        assertThat(complete(e, "12")).isTrue();
        assertThat(prefix(e, "\"abc")).isFalse();
        assertThat(prefix(e, "13")).isFalse();
        String twoObjects = "{\"anyOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"],\"additionalProperties\":false},"
            + "{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"string\"}},\"required\":[\"b\"],\"additionalProperties\":false}]}";
        assertThat(complete(twoObjects, "{\"a\":1}")).isTrue();
        assertThat(complete(twoObjects, "{\"b\":\"x\"}")).isTrue();
        assertThat(prefix(twoObjects, "{\"a\":\"")).isFalse();
        String tree = "{\"$ref\":\"#/$defs/T\",\"$defs\":{\"T\":{\"type\":\"object\",\"properties\":{\"c\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/T\"}}},\"required\":[\"c\"],\"additionalProperties\":false}}}";
        assertThat(complete(tree, "{\"c\":[{\"c\":[]},{\"c\":[{\"c\":[]}]}]}")).isTrue();
        assertThat(complete("{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#\"}},\"additionalProperties\":false}", "{\"next\":{\"next\":{}}}")).isTrue();
        assertThat(complete("{\"type\":\"object\"}", "{\"x\":[1,{\"y\":null}],\"z\":true}")).as("free map").isTrue();
    }

    @Test
    void unsupportedConstructsAreNamed() {
        for (String[] c : new String[][] {
            { "{\"type\":\"string\",\"pattern\":\"a\"}", "pattern" },
            { "{\"type\":\"string\",\"format\":\"date\"}", "format" },
            { "{\"oneOf\":[{\"type\":\"string\"}]}", "oneOf" },
            { "{\"type\":\"array\",\"items\":[{\"type\":\"string\"}]}", "items" },
            { "{\"$ref\":\"http://example.com/s.json\"}", "$ref" },
            { "{\"$ref\":\"#/$defs/Missing\"}", "$ref" },
            { "{\"type\":\"object\",\"required\":[\"x\"]}", "required" },
            { "{\"type\":\"color\"}", "type" },
            { "{\"$ref\":\"#/$defs/A\",\"$defs\":{\"A\":{\"anyOf\":[{\"$ref\":\"#/$defs/A\"},{\"type\":\"null\"}]}}}", "anyOf" },
        }) {
            assertThatThrownBy(() -> JsonConstraint.schema(c[0])).as(c[0]).isInstanceOfSatisfying(UnsupportedSchemaException.class, e -> assertThat(e.construct()).isEqualTo(c[1]));
        }
    }
}

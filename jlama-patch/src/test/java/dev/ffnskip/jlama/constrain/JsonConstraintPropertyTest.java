package dev.ffnskip.jlama.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import dev.ffnskip.testing.JsonChecks;
import dev.ffnskip.testing.SharedAssets;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random schemas built from every supported construct, random walks through skipbench-28m's real byte-level BPE
 * vocabulary (8,192 tokens, tokens that split JSON tokens and UTF-8 characters) and SmolLM2-135M's (49,152): at every step the mask allows at
 * least one token; every allowed token checked keeps the output a valid JSON prefix (Jackson's incremental parser,
 * independent of our automaton) and a valid prefix for a fresh recognizer fed the whole byte string from scratch; end
 * of sequence is allowed exactly when the value is complete; every completed value validates against its schema
 * (networknt). Mutations tried, each failing this test: letting strings accept bytes below 0x20 (Jackson rejects
 * the prefix), dropping the required-keys check on '}' (the validator reports the missing property), and allowing
 * end of sequence always (the "end only when complete" assertion).
 */
class JsonConstraintPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int END = 0; // skipbench's <|endoftext|> is special; any id outside the trie works as "end"
    private static TokenBytes tokens;
    private static int vocabulary;

    @BeforeAll
    static void load() throws Exception {
        tokens = TokenBytes.load(SharedAssets.skipbench().resolve("tokenizer.json"));
        vocabulary = JSON.readTree(SharedAssets.skipbench().resolve("config.json").toFile()).get("vocab_size").asInt();
    }

    @Test
    void randomSchemasRandomWalks() {
        Random random = new Random(12);
        int completed = 0;
        for (int round = 0; round < 60; round++) {
            ObjectNode schema = randomSchema(random, 0, true);
            if (round % 5 == 0) schema = recursive(random);
            String schemaText = schema.toString();
            JsonConstraint constraint = JsonConstraint.schema(schemaText);
            if (walk(constraint, schemaText, random)) completed++;
        }
        assertThat(completed).as("walks that reached a complete value").isGreaterThan(40);
    }

    /** The same on SmolLM2-135M's 49,152-token vocabulary (the GGUF file's tokenizer, converted once into the test cache). */
    @Test
    void smolLm2VocabularyWalks() throws Exception {
        java.nio.file.Path folder = dev.ffnskip.jlama.load.ModelLoader.prepare(SharedAssets.smollm2(), dev.ffnskip.testing.TestModels.Precision.F32.options()).folder().path();
        TokenBytes smol = TokenBytes.load(folder.resolve("tokenizer.json"));
        int size = JSON.readTree(folder.resolve("config.json").toFile()).get("vocab_size").asInt();
        assertThat(size).isEqualTo(49152);
        TokenBytes saved = tokens;
        int savedSize = vocabulary;
        tokens = smol;
        vocabulary = size;
        try {
            Random random = new Random(3);
            int completed = 0;
            for (int round = 0; round < 8; round++) {
                ObjectNode schema = round % 4 == 0 ? recursive(random) : randomSchema(random, 0, true);
                if (walk(JsonConstraint.schema(schema.toString()), schema.toString(), random)) completed++;
            }
            assertThat(completed).isGreaterThan(4);
        } finally {
            tokens = saved;
            vocabulary = savedSize;
        }
    }

    @Test
    void jsonModeWalks() {
        Random random = new Random(7);
        for (int round = 0; round < 10; round++) walk(JsonConstraint.jsonObject(), "{\"type\":\"object\"}", random);
    }

    /** Returns true when the walk completed a value. */
    private static boolean walk(JsonConstraint constraint, String schema, Random random) {
        Set<Integer> ends = Set.of(END);
        TokenConstraint.State state = constraint.start(tokens, ends, vocabulary);
        long[] allowed = new long[(vocabulary + 63) / 64];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int step = 0; step < 400; step++) {
            state.allowedNext(allowed);
            List<Integer> ids = new ArrayList<>();
            for (int id = 0; id < vocabulary; id++) if ((allowed[id >>> 6] & (1L << id)) != 0) ids.add(id);
            assertThat(ids).as("allowed tokens after %s", out).isNotEmpty();
            assertThat(ids.contains(END)).as("end allowed exactly when complete, after %s", out).isEqualTo(state.complete());
            for (int k = 0; k < 25; k++) {
                int id = ids.get(random.nextInt(ids.size()));
                if (id == END) continue;
                byte[] candidate = concat(out.toByteArray(), tokens.bytes(id));
                assertThat(JsonChecks.isValidPrefix(candidate)).as("token %d makes %s", id, new String(candidate, java.nio.charset.StandardCharsets.UTF_8)).isTrue();
                assertThat(fromScratch(constraint.grammar(), candidate)).isTrue();
            }
            int chosen = choose(ids, step, random);
            if (chosen == END) {
                String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
                JsonChecks.assertValid(schema, text);
                return true;
            }
            state.accept(chosen);
            out.writeBytes(tokens.bytes(chosen));
        }
        return false;
    }

    /** Random at first, then steering towards closing so most walks finish. */
    private static int choose(List<Integer> ids, int step, Random random) {
        if (ids.contains(END) && (step > 20 || random.nextInt(4) == 0)) return END;
        if (step > 60) {
            for (String closer : List.of("}", "]", "\"", "0", "null", "false", ",")) {
                for (int id : ids) {
                    if (id != END && new String(tokens.bytes(id), java.nio.charset.StandardCharsets.UTF_8).equals(closer)) {
                        if (!closer.equals(",") || random.nextInt(3) == 0) return id;
                    }
                }
            }
        }
        return ids.get(random.nextInt(ids.size()));
    }

    /** Feeds the whole byte string to a fresh recognizer. */
    static boolean fromScratch(JsonGrammar grammar, byte[] bytes) {
        JsonRecognizer recognizer = new JsonRecognizer(grammar);
        ParseState a = new ParseState(JsonTokenMask.STACKS, JsonTokenMask.DEPTH), b = new ParseState(JsonTokenMask.STACKS, JsonTokenMask.DEPTH);
        recognizer.reset(a);
        for (byte x : bytes) {
            recognizer.step(a, x & 0xFF, b);
            if (b.count == 0) return false;
            ParseState t = a;
            a = b;
            b = t;
        }
        return true;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final String[] NAMES = { "name", "age", "tags", "a", "ab", "abc", "city", "zip code", "q\"uote", "naïve", "x" };

    static ObjectNode randomSchema(Random r, int depth, boolean object) {
        ObjectNode s = JSON.createObjectNode();
        int pick = object ? 0 : r.nextInt(depth > 2 ? 8 : 11);
        switch (pick) {
            case 0 -> {
                s.put("type", "object");
                ObjectNode props = s.putObject("properties");
                ArrayNode required = JSON.createArrayNode();
                int n = 1 + r.nextInt(4);
                for (int i = 0; i < n; i++) {
                    String name = NAMES[r.nextInt(NAMES.length)];
                    if (props.has(name)) continue;
                    props.set(name, randomSchema(r, depth + 1, false));
                    if (r.nextBoolean()) required.add(name);
                }
                s.set("required", required);
                s.put("additionalProperties", false);
            }
            case 1 -> s.put("type", "string");
            case 2 -> s.put("type", "integer");
            case 3 -> s.put("type", "number");
            case 4 -> s.put("type", "boolean");
            case 5 -> s.putArray("type").add("integer").add("null");
            case 6 -> s.putArray("enum").add("red").add("green").add("gr\u00fcn").add("g");
            case 7 -> s.put("type", "null");
            case 8 -> {
                s.put("type", "array");
                s.set("items", randomSchema(r, depth + 1, false));
            }
            case 9 -> s.putArray("anyOf").add(randomSchema(r, depth + 1, true)).add(randomSchema(r, depth + 1, true));
            default -> s.putArray("anyOf").add(randomSchema(r, depth + 1, false)).add(JSON.createObjectNode().put("type", "null"));
        }
        return s;
    }

    private static ObjectNode recursive(Random r) {
        ObjectNode s = JSON.createObjectNode();
        s.put("$ref", "#/$defs/Node");
        ObjectNode node = s.putObject("$defs").putObject("Node");
        node.put("type", "object");
        ObjectNode props = node.putObject("properties");
        props.set("value", randomSchema(r, 3, false));
        props.putObject("children").put("type", "array").putObject("items").put("$ref", "#/$defs/Node");
        node.putArray("required").add("value");
        node.put("additionalProperties", false);
        return s;
    }
}

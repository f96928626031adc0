package dev.ffnskip.jlama.constrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tjake.jlama.safetensors.prompt.Function;
import com.github.tjake.jlama.safetensors.prompt.Tool;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.generate.FinishReason;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.TokenBytes;
import dev.ffnskip.jlama.generate.TokenConstraint;
import dev.ffnskip.testing.JsonChecks;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Strict tool calls on skipbench-28m, which was trained to call {@code add(a, b)} and {@code get_weather(city)}: offered
 * the same tools under other parameter names (the chat template shows only names and descriptions), the unconstrained
 * model writes its trained names and the call fails the offered schema (networknt), while under the constraint the
 * call validates; {@code required} makes it call a tool it never saw; a text answer is token for token the
 * unconstrained one. Random walks through the real vocabulary check the mask itself (no answer starts with
 * {@code [}; a started call stays a valid JSON prefix; end of sequence only once the call is complete; completed calls
 * validate). Mutation tried: a mask that allows every token starting with {@code {} before the answer starts and every
 * token once a call has started fails three tests here (the call keeps the trained {@code "a"}, the required call on an
 * unseen tool fails validation, a walk reaches an invalid prefix).
 */
class ToolCallConstraintTest {
    private static final String ADD_XY = """
        {"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}""";
    private static final String WEATHER_LOCATION = """
        {"type":"object","properties":{"location":{"type":"string"}},"required":["location"],"additionalProperties":false}""";
    private static final String SUM_NUMBERS = """
        {"type":"object","properties":{"first":{"type":"integer"},"second":{"type":"integer"}},"required":["first","second"],"additionalProperties":false}""";

    private static FfnSkipModel model;

    @BeforeAll
    static void load() {
        model = TestModels.skipbench();
    }

    private static Tool tool(String name, String description, Map<String, String> parameterTypes) {
        Function.Builder f = Function.builder().name(name).description(description);
        parameterTypes.forEach((p, type) -> f.addParameter(p, Map.of("type", type), true));
        return Tool.from(f.build());
    }

    private static int[] prompt(String question, List<Tool> tools) {
        return model.encode(model.promptSupport().orElseThrow().builder().addSystemMessage("You can use tools.").addUserMessage(question).build(tools));
    }

    private static final List<Tool> RENAMED = List.of(
        tool("add", "Add two numbers a and b.", Map.of("x", "number", "y", "number")),
        tool("get_weather", "Get the current weather in a city.", Map.of("location", "string"))
    );

    private static ToolCallConstraint renamedConstraint(boolean required) {
        return ToolCallConstraint.of(List.of(
            new ToolCallConstraint.Tool("add", JsonSchemaReader.read(ADD_XY)),
            new ToolCallConstraint.Tool("get_weather", JsonSchemaReader.read(WEATHER_LOCATION))
        ), required);
    }

    /** The JSON Schema a call must match: name one of the tools, parameters that tool's schema. */
    private static String callSchema(Map<String, String> parametersByName) {
        StringBuilder s = new StringBuilder("{\"anyOf\":[");
        String sep = "";
        for (var e : parametersByName.entrySet()) {
            s.append(sep).append("{\"type\":\"object\",\"properties\":{\"name\":{\"const\":\"").append(e.getKey())
                .append("\"},\"parameters\":").append(e.getValue()).append("},\"required\":[\"name\",\"parameters\"],\"additionalProperties\":false}");
            sep = ",";
        }
        return s.append("]}").toString();
    }

    private static GenerationResult run(int[] prompt, TokenConstraint constraint, Long seed) {
        GenerationRequest.Builder b = GenerationRequest.builder().maxNewTokens(64).constraint(constraint);
        if (seed != null) b.temperature(0.9).topP(0.95).topK(50).seed(seed);
        return model.generate(prompt, b.build());
    }

    @Test
    void callUsesTheOfferedParameterNames() {
        String schema = callSchema(Map.of("add", ADD_XY, "get_weather", WEATHER_LOCATION));
        int[] p = prompt("What is 37 plus 45?", RENAMED);
        GenerationResult free = run(p, null, null);
        assertThat(free.text()).as("the trained call").startsWith("{\"name\": \"add\", \"parameters\": {\"a\"");
        assertThat(JsonChecks.violations(schema, free.text())).as("unconstrained call against the offered schema").isNotEmpty();

        GenerationResult strict = run(p, renamedConstraint(false), null);
        assertThat(strict.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        JsonChecks.assertValid(schema, strict.text());
        assertThat(JsonChecks.parse(strict.text()).get("name").asText()).isEqualTo("add");

        int[] weather = prompt("What is the weather in Paris?", RENAMED);
        assertThat(JsonChecks.violations(schema, run(weather, null, null).text())).isNotEmpty();
        GenerationResult w = run(weather, renamedConstraint(false), null);
        JsonChecks.assertValid(schema, w.text());
        assertThat(JsonChecks.parse(w.text()).get("name").asText()).isEqualTo("get_weather");
        for (long seed = 1; seed <= 5; seed++) {
            GenerationResult r = run(p, renamedConstraint(false), seed);
            if (r.text().strip().startsWith("{") && r.finishReason() == FinishReason.STOP_TOKEN) JsonChecks.assertValid(schema, r.text());
        }
    }

    @Test
    void requiredCallsAToolTheModelNeverSaw() {
        List<Tool> offered = List.of(tool("sum_numbers", "Sum two integers.", Map.of("first", "integer", "second", "integer")));
        ToolCallConstraint c = ToolCallConstraint.of(List.of(new ToolCallConstraint.Tool("sum_numbers", JsonSchemaReader.read(SUM_NUMBERS))), true);
        assertThat(c.kind()).isEqualTo("tools_required");
        for (Long seed : new Long[] { null, 1L, 2L, 3L }) {
            GenerationResult r = run(prompt("What is 37 plus 45?", offered), c, seed);
            assertThat(r.text()).startsWith("{");
            if (r.finishReason() != FinishReason.STOP_TOKEN) continue;
            JsonChecks.assertValid(callSchema(Map.of("sum_numbers", SUM_NUMBERS)), r.text());
            assertThat(JsonChecks.parse(r.text()).get("name").asText()).isEqualTo("sum_numbers");
        }
    }

    @Test
    void textAnswerIsTheUnconstrainedOne() {
        int[] p = prompt("What is the capital of France?", RENAMED);
        GenerationResult free = run(p, null, null);
        assertThat(free.text().strip()).as("the model answers in text").doesNotStartWith("{").isNotEmpty();
        GenerationResult strict = run(p, renamedConstraint(false), null);
        assertThat(strict.tokenIds()).isEqualTo(free.tokenIds());
        GenerationResult sampledFree = run(p, null, 7L), sampledStrict = run(p, renamedConstraint(false), 7L);
        if (!sampledFree.text().strip().startsWith("{") && !sampledFree.text().strip().startsWith("[")) {
            assertThat(sampledStrict.tokenIds()).isEqualTo(sampledFree.tokenIds());
        }
    }

    @Test
    void randomWalksThroughTheVocabulary() throws Exception {
        TokenBytes tokens = TokenBytes.load(SharedAssets.skipbench().resolve("tokenizer.json"));
        int vocabulary = 8192, end = 5;
        int brace = java.util.stream.IntStream.range(0, vocabulary).filter(i -> java.util.Arrays.equals(tokens.bytes(i), new byte[] { '{' })).findFirst().orElseThrow();
        String schema = callSchema(Map.of("add", ADD_XY, "get_weather", WEATHER_LOCATION));
        Random random = new Random(5);
        long[] allowed = new long[vocabulary / 64];
        int calls = 0, completed = 0, texts = 0;
        for (int walk = 0; walk < 200; walk++) {
            boolean required = walk % 4 == 0;
            TokenConstraint.State state = renamedConstraint(required).start(tokens, Set.of(end), vocabulary);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int step = 0; step < 40; step++) {
                state.allowedNext(allowed);
                int[] ids = java.util.stream.IntStream.range(0, vocabulary).filter(i -> (allowed[i >>> 6] & (1L << i)) != 0).toArray();
                assertThat(ids).isNotEmpty();
                byte[] sofar = lead(out.toByteArray());
                boolean inCall = required || sofar.length > 0 && sofar[0] == '{';
                assertThat((allowed[end >>> 6] & (1L << end)) != 0).as("end allowed after %s", new String(sofar, StandardCharsets.UTF_8))
                    .isEqualTo(!inCall || state.complete());
                if (!inCall && sofar.length == 0) {
                    for (int id : ids) {
                        byte[] b = lead(tokens.bytes(id));
                        assertThat(b.length > 0 && b[0] == '[').as("token %d", id).isFalse();
                        if (b.length > 0 && b[0] == '{') assertThat(JsonChecks.isValidPrefix(b)).as("token %d", id).isTrue();
                    }
                }
                int pick = ids[random.nextInt(ids.length)];
                // Calls are rare in a uniform walk: steer half the walks into one, and end a call once it is complete.
                if (!inCall && sofar.length == 0 && walk % 2 == 1) pick = brace;
                if (inCall && state.complete()) pick = end;
                state.accept(pick);
                if (pick == end) break;
                out.writeBytes(tokens.bytes(pick));
                byte[] now = lead(out.toByteArray());
                if (now.length > 0 && now[0] == '{') assertThat(JsonChecks.isValidPrefix(now)).as(new String(now, StandardCharsets.UTF_8)).isTrue();
            }
            byte[] all = lead(out.toByteArray());
            if (all.length > 0 && all[0] == '{') {
                calls++;
                if (state.complete()) {
                    completed++;
                    JsonChecks.assertValid(schema, new String(all, StandardCharsets.UTF_8));
                }
            } else if (all.length > 0) {
                texts++;
            }
        }
        assertThat(calls).isGreaterThan(100);
        assertThat(completed).isGreaterThan(0);
        assertThat(texts).isGreaterThan(30);
    }

    /** {@code bytes} without the leading white space the constraint skips (space, tab, CR, LF). */
    private static byte[] lead(byte[] bytes) {
        int k = 0;
        while (k < bytes.length && (bytes[k] == ' ' || bytes[k] == '\n' || bytes[k] == '\t' || bytes[k] == '\r')) k++;
        return java.util.Arrays.copyOfRange(bytes, k, bytes.length);
    }

    /**
     * More tools than the JSON mask's default 8 parse stacks: every tool, the last one too, stays reachable. Mutation
     * tried: the default 8 stacks for the call fails here ({@code tool_7: byte '7'}: alternatives were dropped).
     */
    @Test
    void manyToolsAllReachable() throws Exception {
        TokenBytes tokens = TokenBytes.load(SharedAssets.skipbench().resolve("tokenizer.json"));
        int vocabulary = 8192, end = 5;
        int[] single = new int[256];
        java.util.Arrays.fill(single, -1);
        for (int id = 0; id < vocabulary; id++) if (!tokens.isSpecial(id) && tokens.bytes(id).length == 1 && single[tokens.bytes(id)[0] & 0xFF] < 0) single[tokens.bytes(id)[0] & 0xFF] = id;
        List<ToolCallConstraint.Tool> tools = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) tools.add(new ToolCallConstraint.Tool("tool_" + i, JsonSchemaReader.read("{\"type\":\"object\",\"properties\":{\"p" + i + "\":{\"type\":\"integer\"}},\"required\":[\"p" + i + "\"],\"additionalProperties\":false}")));
        long[] allowed = new long[vocabulary / 64];
        for (int i : new int[] { 0, 7, 8, 11 }) {
            TokenConstraint.State state = ToolCallConstraint.of(tools, true).start(tokens, Set.of(end), vocabulary);
            for (byte b : ("{\"name\": \"tool_" + i + "\", \"parameters\": {\"p" + i + "\": 4}}").getBytes(StandardCharsets.UTF_8)) {
                int id = single[b & 0xFF];
                state.allowedNext(allowed);
                assertThat((allowed[id >>> 6] & (1L << id)) != 0).as("tool_%d: byte '%c'", i, (char) b).isTrue();
                state.accept(id);
            }
            assertThat(state.complete()).isTrue();
        }
    }

    @Test
    void badToolLists() {
        assertThatThrownBy(() -> ToolCallConstraint.of(List.of(), false)).isInstanceOf(IllegalArgumentException.class);
        SchemaDocument empty = JsonSchemaReader.read("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}");
        assertThatThrownBy(() -> ToolCallConstraint.of(List.of(new ToolCallConstraint.Tool("a", empty), new ToolCallConstraint.Tool("a", empty)), false))
            .hasMessageContaining("offered twice");
    }

    /** Both tools define "Item" differently and refer to their own root: the definitions stay private to each tool. */
    @Test
    void definitionsArePrivateToEachTool() {
        SchemaDocument a = JsonSchemaReader.read("{\"type\":\"object\",\"properties\":{\"i\":{\"$ref\":\"#/$defs/Item\"}},\"required\":[\"i\"],\"additionalProperties\":false,\"$defs\":{\"Item\":{\"type\":\"integer\"}}}");
        SchemaDocument b = JsonSchemaReader.read("{\"type\":\"object\",\"properties\":{\"i\":{\"$ref\":\"#/$defs/Item\"}},\"required\":[\"i\"],\"additionalProperties\":false,\"$defs\":{\"Item\":{\"type\":\"string\"}}}");
        ToolCallConstraint c = ToolCallConstraint.of(List.of(new ToolCallConstraint.Tool("a", a), new ToolCallConstraint.Tool("b", b)), true);
        JsonRecognizer r = new JsonRecognizer(c.grammar());
        assertThat(accepts(r, "{\"name\": \"a\", \"parameters\": {\"i\": 3}}")).isTrue();
        assertThat(accepts(r, "{\"name\": \"b\", \"parameters\": {\"i\": \"x\"}}")).isTrue();
        assertThat(accepts(r, "{\"name\": \"a\", \"parameters\": {\"i\": \"x\"}}")).isFalse();
        assertThat(accepts(r, "{\"name\": \"c\", \"parameters\": {\"i\": 3}}")).isFalse();
    }

    private static boolean accepts(JsonRecognizer r, String text) {
        ParseState a = new ParseState(16, 96), b = new ParseState(16, 96);
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
}

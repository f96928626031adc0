package dev.ffnskip.jlama.constrain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.FinishReason;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.testing.JsonChecks;
import dev.ffnskip.testing.TestModels;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Schema-constrained decoding on the real skipbench-28m model (a chat model never trained on JSON): greedy and 20
 * sampling seeds per schema, every finished output parses and validates (networknt) against its schema; an output
 * cut by the token budget ends with MAX_TOKENS and is a valid JSON prefix; the calibrated gate still skips FFN work
 * under the constraint. Mutation tried: removing the {@code restrictLogits} call from the decode loop fails every
 * test here (the model samples a token the constraint rejects and the constraint's own check throws
 * {@code IllegalStateException: Token 40 is not allowed by the JSON constraint}).
 */
class ConstrainedGenerationTest {
    static final String PERSON = """
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""";
    static final String NESTED = """
        {"type":"object","properties":{
          "person":{"type":"object","properties":{"name":{"type":"string"},"address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"integer"}},"required":["city","zip"],"additionalProperties":false}},"required":["name","address"],"additionalProperties":false},
          "tags":{"type":"array","items":{"type":"string"}},
          "color":{"enum":["RED","GREEN","BLUE"]},
          "score":{"type":"number"},
          "nickname":{"type":["string","null"]}},
         "required":["person","tags","color","score"],"additionalProperties":false}""";
    static final String RECURSIVE = """
        {"$ref":"#/$defs/Node","$defs":{"Node":{"type":"object","properties":{"label":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/Node"}}},"required":["label","children"],"additionalProperties":false}}}""";

    private static FfnSkipModel model;
    private static int[] prompt;

    @BeforeAll
    static void load() {
        model = TestModels.skipbench();
        prompt = model.encode(model.promptSupport().orElseThrow().builder().addUserMessage("Describe Ada Lovelace, who was 36, as JSON.").build());
    }

    private static GenerationResult run(String schema, Long seed, int maxTokens, GatePolicy gate) {
        GenerationRequest.Builder b = GenerationRequest.builder().maxNewTokens(maxTokens).constraint(JsonConstraint.schema(schema)).gate(gate);
        if (seed != null) b.temperature(0.9).topP(0.95).topK(50).seed(seed);
        return model.generate(prompt, b.build());
    }

    private static void check(String schema, GenerationResult r) {
        if (r.finishReason() == FinishReason.MAX_TOKENS) {
            assertThat(JsonChecks.isValidPrefix(r.text().getBytes(StandardCharsets.UTF_8))).as("cut output %s", r.text()).isTrue();
        } else {
            assertThat(r.finishReason()).as(r.text()).isEqualTo(FinishReason.STOP_TOKEN);
            JsonChecks.assertValid(schema, r.text());
        }
    }

    /** Sampled strings of a model never trained on JSON can ramble past any budget: {@code minFinished} says how many must complete. */
    private static void greedyAndSeeds(String schema, int maxTokens, int minFinished) {
        int finished = 0;
        GenerationResult greedy = run(schema, null, maxTokens, null);
        check(schema, greedy);
        for (long seed = 1; seed <= 20; seed++) {
            GenerationResult r = run(schema, seed, maxTokens, null);
            check(schema, r);
            if (r.finishReason() == FinishReason.STOP_TOKEN) finished++;
        }
        assertThat(finished).as("sampled outputs that completed within %d tokens", maxTokens).isGreaterThanOrEqualTo(minFinished);
    }

    @Test
    void personGreedyIsValidAndSamplesAreValid() {
        GenerationResult greedy = run(PERSON, null, 64, null);
        assertThat(greedy.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        JsonChecks.assertValid(PERSON, greedy.text());
        greedyAndSeeds(PERSON, 64, 15);
    }

    @Test
    void nestedObjectsArraysEnumsNumbersOptionalFields() {
        greedyAndSeeds(NESTED, 200, 3);
    }

    @Test
    void recursiveType() {
        greedyAndSeeds(RECURSIVE, 128, 10);
    }

    @Test
    void tokenBudgetCutsTheValue() {
        GenerationResult r = run(NESTED, 3L, 6, null);
        assertThat(r.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(r.tokenIds()).hasSize(6);
        assertThat(JsonChecks.isValidPrefix(r.text().getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(JsonChecks.violations(PERSON, "{}")).isNotEmpty(); // the validator does reject incomplete objects
    }

    @Test
    void jsonModeGivesAnObject() {
        GenerationResult r = model.generate(prompt, GenerationRequest.builder().maxNewTokens(96).constraint(JsonConstraint.jsonObject()).build());
        if (r.finishReason() == FinishReason.STOP_TOKEN) assertThat(JsonChecks.parse(r.text()).isObject()).as(r.text()).isTrue();
        else assertThat(JsonChecks.isValidPrefix(r.text().getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(r.text()).startsWith("{");
    }

    @Test
    void gateOnAndOffBothValid() {
        GenerationResult dense = run(PERSON, null, 64, GatePolicy.DENSE);
        GenerationResult gated = run(PERSON, null, 64, model.defaultPolicy().policy());
        JsonChecks.assertValid(PERSON, dense.text());
        JsonChecks.assertValid(PERSON, gated.text());
        assertThat(dense.stats().skipRatio()).isZero();
        assertThat(gated.stats().skipRatio()).as("calibrated skipbench policy still skips under the constraint").isPositive();
    }
}

package dev.ffnskip.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.DecodeSession;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import dev.ffnskip.testing.TestModels.Precision;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our dense decoder against Hugging Face transformers (float32), a peer implementation.
 *
 * <p>Logit tolerance: with float32 activations the only differences are float32 summation order in the matmuls
 * (reductions over 384 and 1024 terms, 16 layers) and Jlama's fast exp/sqrt; measured differences are below 1e-3
 * in logits whose magnitude is 10-25, so {@value #F32_LOGIT_TOLERANCE} leaves 5x headroom and still catches any real
 * error (a wrong kernel moves logits by whole units). Jlama's default for BF16 weights rounds activations to BF16
 * before every matmul (8 mantissa bits, relative error 4e-3 per input), which moves logits by up to about 0.1, hence
 * the looser {@value #BF16_LOGIT_TOLERANCE} for that setup.
 */
class CrossImplementationTest {
    static final double F32_LOGIT_TOLERANCE = 5e-3;
    static final double BF16_LOGIT_TOLERANCE = 0.25;

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = { "F32", "STORED" })
    void denseLogitsMatchHuggingFace(Precision precision) throws IOException {
        FfnSkipModel model = TestModels.gated(SharedAssets.skipbench(), precision);
        JsonNode reference = new ObjectMapper().readTree(SharedAssets.eval("reference_logits_skipbench-28m.json").toFile());
        double tolerance = precision == Precision.F32 ? F32_LOGIT_TOLERANCE : BF16_LOGIT_TOLERANCE;
        float[] logits = new float[model.info().vocabularySize()];
        double worst = 0;
        for (JsonNode prompt : reference.get("prompts")) {
            try (DecodeSession session = model.openSession(GatePolicy.DENSE, false)) {
                session.prefill(ReferenceGateTest.ints(prompt.get("input_ids")));
                for (JsonNode step : prompt.get("greedy_steps")) {
                    assertThat(session.argmax()).as("%s greedy token", prompt.get("name").asText()).isEqualTo(step.get("token").asInt());
                    session.copyLogits(logits);
                    for (int k = 0; k < 5; k++) {
                        int id = step.get("top_ids").get(k).asInt();
                        double diff = Math.abs(logits[id] - step.get("top_logits").get(k).asDouble());
                        worst = Math.max(worst, diff);
                        assertThat(diff).as("%s logit of token %d", prompt.get("name").asText(), id).isLessThan(tolerance);
                    }
                    session.step(step.get("token").asInt());
                }
            }
        }
        System.out.printf("%s: largest top-5 logit difference to Hugging Face %.2e%n", precision, worst);
    }

    @Test
    void stories260KContinuationMatchesHuggingFace() throws IOException {
        FfnSkipModel model = TestModels.gated(SharedAssets.stories(), Precision.F32);
        JsonNode reference = new ObjectMapper().readTree(SharedAssets.eval("stories260K_reference.json").toFile());
        int[] prompt = ReferenceGateTest.ints(reference.get("prompt_ids"));
        int[] expectedAll = ReferenceGateTest.ints(reference.get("generated_ids_prompted"));
        int[] expected = Arrays.copyOfRange(expectedAll, prompt.length, expectedAll.length);
        GenerationResult result = model.generate(prompt, GenerationRequest.builder().maxNewTokens(expected.length).gate(GatePolicy.DENSE).build());
        assertThat(result.tokenIds()).containsExactly(expected);
        assertThat(result.text()).contains(reference.get("expected_substring").asText());
    }

    /** Greedy answers for the first factoid and context items equal transformers' greedy answers (which stop after 24 new tokens). */
    @Test
    void greedyAnswersMatchHuggingFacePredictions() throws IOException {
        FfnSkipModel model = TestModels.skipbench();
        Map<String, String> hfAnswers = new HashMap<>();
        try (BufferedReader in = Files.newBufferedReader(SharedAssets.eval("hf_predictions_skipbench-28m.jsonl"))) {
            ObjectMapper json = new ObjectMapper();
            for (String line; (line = in.readLine()) != null; ) {
                JsonNode row = json.readTree(line);
                hfAnswers.put(row.get("id").asText(), row.get("pred").asText());
            }
        }
        int checked = 0;
        for (String file : new String[] { "factoid_qa.jsonl", "context_qa.jsonl" }) {
            try (BufferedReader in = Files.newBufferedReader(SharedAssets.eval(file))) {
                ObjectMapper json = new ObjectMapper();
                String line;
                for (int i = 0; i < 40 && (line = in.readLine()) != null; i++) {
                    JsonNode row = json.readTree(line);
                    String question = row.get("messages").get(0).get("content").asText();
                    var prompt = model.promptSupport().orElseThrow().builder().addUserMessage(question).build();
                    GenerationResult result = model.generate(model.encode(prompt), GenerationRequest.builder().maxNewTokens(24).gate(GatePolicy.DENSE).build());
                    assertThat(result.text().strip()).as(row.get("id").asText()).isEqualTo(hfAnswers.get(row.get("id").asText()).strip());
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(80);
    }
}

package dev.ffnskip.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.GenerationStats;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cross-checks our gate against an independent float32 implementation of the same gate
 * ({@code shared/eval/ffn_skip_reference.json}): generated ids, every step's skipped layers and the cosines.
 *
 * <p>Our decode runs Jlama with float32 activations; its arithmetic differs from PyTorch's in summation order, and the
 * reference rounds cosines to 5 decimals, so cosines agree to about 5e-6 (measured) and are checked to
 * {@link #COSINE_TOLERANCE}. A skip decision is allowed to differ only where a cosine lies within
 * {@link #DECISION_TOLERANCE} of the threshold (20x the measured cosine error); from the first such divergence on, a
 * decode may legitimately take another path, so the comparison of that item stops there. (In practice all 100
 * decodes match exactly.)
 */
class ReferenceGateTest {
    /** Largest |our cos - reference cos| accepted on steps where both decodes agree so far. */
    static final double COSINE_TOLERANCE = 2e-5;
    /** A skip decision may flip when the deciding cosine is this close to the threshold. */
    static final double DECISION_TOLERANCE = 1e-4;

    private static JsonNode reference;

    @BeforeAll
    static void readReference() throws IOException {
        reference = new ObjectMapper().readTree(SharedAssets.eval("ffn_skip_reference.json").toFile());
    }

    static Stream<String> policies() {
        return Stream.of("A", "B", "C", "D", "E");
    }

    @ParameterizedTest(name = "policy {0}")
    @MethodSource("policies")
    void matchesIndependentImplementation(String policyKey) {
        FfnSkipModel model = TestModels.skipbench();
        JsonNode spec = reference.get("policies").get(policyKey);
        GatePolicy policy = toPolicy(spec, model.info().layers());
        int exact = 0;
        int explained = 0;
        double maxCosDiff = 0;
        List<String> report = new ArrayList<>();
        for (JsonNode item : reference.get("items")) {
            int[] prompt = ints(item.get("prompt_ids"));
            JsonNode expected = item.get("policies").get(policyKey);
            GenerationResult actual = model.generate(
                prompt,
                GenerationRequest.builder().maxNewTokens(32).gate(policy).recordSteps(true).build()
            );
            Comparison c = compare(expected, actual, spec);
            maxCosDiff = Math.max(maxCosDiff, c.maxCosDiff);
            if (c.divergedAtStep < 0) {
                assertThat(actual.tokenIds()).as("ids of %s", item.get("id").asText()).containsExactly(ints(expected.get("generated_ids")));
                assertThat(actual.stats().ffnSkipped()).isEqualTo(expected.get("ffn_skipped").asLong());
                assertThat(actual.stats().ffnTotal()).isEqualTo(expected.get("ffn_total").asLong());
                exact++;
            } else {
                assertThat(c.nearThreshold).as("%s diverged at step %d without a near-threshold decision: %s", item.get("id").asText(), c.divergedAtStep, c.detail).isTrue();
                explained++;
                report.add(item.get("id").asText() + "@" + c.divergedAtStep + " " + c.detail);
            }
        }
        System.out.printf("policy %s: %d exact, %d diverged at near-threshold decisions, max |dcos| %.2e %s%n", policyKey, exact, explained, maxCosDiff, report);
        assertThat(maxCosDiff).isLessThan(COSINE_TOLERANCE);
        assertThat(exact).as("items matching exactly").isGreaterThanOrEqualTo(reference.get("items").size() - 3);
    }

    private record Comparison(int divergedAtStep, boolean nearThreshold, double maxCosDiff, String detail) {}

    private static Comparison compare(JsonNode expected, GenerationResult actual, JsonNode spec) {
        int[] expectedIds = ints(expected.get("generated_ids"));
        List<GenerationStats.StepRecord> steps = actual.stats().steps();
        JsonNode refSteps = expected.get("steps");
        double threshold = spec.path("threshold").asDouble(Double.NaN);
        double maxDiff = 0;
        int n = Math.min(steps.size(), refSteps.size());
        for (int k = 0; k < n; k++) {
            // Token k is what step k consumed: once tokens differ, the sequences are no longer comparable.
            if (k >= actual.tokenIds().length || actual.tokenIds()[k] != expectedIds[k]) {
                return new Comparison(k, nearThresholdBefore(refSteps, k, threshold), maxDiff, "token " + k + " differs");
            }
            int[] refSkipped = ints(refSteps.get(k).get("skipped"));
            float[] ours = steps.get(k).cosines();
            JsonNode refCos = refSteps.get(k).get("cos");
            double stepDiff = 0;
            for (int l = 0; l < ours.length; l++) {
                if (!refCos.get(l).isNull() && !Float.isNaN(ours[l])) stepDiff = Math.max(stepDiff, Math.abs(ours[l] - refCos.get(l).asDouble()));
            }
            if (!Arrays.equals(refSkipped, steps.get(k).skippedLayers())) {
                return new Comparison(k, nearThreshold(refCos, threshold) || nearThresholdBefore(refSteps, k, threshold), Math.max(maxDiff, stepDiff),
                    "step " + k + " skipped " + Arrays.toString(steps.get(k).skippedLayers()) + " vs reference " + Arrays.toString(refSkipped));
            }
            maxDiff = Math.max(maxDiff, stepDiff);
        }
        boolean sameIds = Arrays.equals(actual.tokenIds(), expectedIds);
        return sameIds ? new Comparison(-1, false, maxDiff, "") : new Comparison(n, nearThresholdBefore(refSteps, n, threshold), maxDiff, "ids differ after step " + n);
    }

    private static boolean nearThresholdBefore(JsonNode refSteps, int step, double threshold) {
        for (int k = 0; k <= Math.min(step, refSteps.size() - 1); k++) if (nearThreshold(refSteps.get(k).get("cos"), threshold)) return true;
        return false;
    }

    private static boolean nearThreshold(JsonNode cos, double threshold) {
        if (Double.isNaN(threshold)) return false;
        for (JsonNode c : cos) if (!c.isNull() && Math.abs(c.asDouble() - threshold) < DECISION_TOLERANCE) return true;
        return false;
    }

    static GatePolicy toPolicy(JsonNode spec, int layers) {
        if (!spec.get("gate").asBoolean()) return GatePolicy.DENSE;
        JsonNode cap = spec.get("max_skip");
        return PaperGatePolicy.builder()
            .threshold(spec.get("threshold").asDouble())
            .protectFirst(spec.get("protect_first").asInt())
            .protectLast(spec.get("protect_last").asInt())
            .warmupTokens(spec.get("warmup").asInt())
            .maxSkipFraction(cap == null || cap.isNull() ? 1.0 : cap.asDouble() / layers)
            .build();
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}

package dev.ffnskip.eval.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.eval.Main;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.Calibration;
import dev.ffnskip.jlama.gate.CalibrationRegistry;
import dev.ffnskip.jlama.gate.ChannelSkipPolicy;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code channel-calibrate} end to end on skipbench-28m (tiny samples): each target's thresholds realize about that
 * share of FFN work skipped, and a candidate within the (here deliberately loose) budget on both splits is stored
 * under the model's fingerprint and precision, where the registry finds it; with the default budget nothing that
 * misses it is stored.
 */
class ChannelCalibrateCommandTest {
    @TempDir
    Path tmp;

    static String[] args(Path policies, Path json, String... extra) {
        List<String> a = new ArrayList<>(List.of("channel-calibrate", "--model", SharedAssets.skipbench().toString(),
            "--targets", "0.1,0.3", "--prompts", "2", "--tokens", "8", "--passages", "1", "--passage-tokens", "40",
            "--policies-dir", policies.toString(), "--json", json.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void realizesEachTargetAndStoresWhatMeetsTheBudgetByFingerprint() throws Exception {
        Path policies = tmp.resolve("policies");
        Path json = tmp.resolve("cc.json");
        int code = Main.commandLine().execute(args(policies, json, "--max-ppl-increase", "10", "--min-rouge-l", "0", "--kernel-reference"));
        assertThat(code).isZero();
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        // the kernel keeping every channel: nothing skipped, close to dense, yet not the dense computation itself
        // (its Q8 weights move the perplexity a little; thresholds of 0 would run Jlama's FFN and give exactly 1)
        for (String split : List.of("kernel_reference_calib", "kernel_reference_eval")) {
            assertThat(report.path(split).path("ffn_work_skipped").asDouble()).as(split).isZero();
            assertThat(report.path(split).path("perplexity_ratio").asDouble()).as(split).isBetween(0.97, 1.03).isNotEqualTo(1.0);
        }
        JsonNode calibration = report.path("calibration");
        assertThat(calibration).as("2 targets x 2 criteria").hasSize(4);
        for (JsonNode c : calibration) {
            // per-layer quantile thresholds of what the criterion compares, sensitivity-allocated: the realized share
            // tracks the target for either criterion
            assertThat(c.path("ffn_work_skipped").asDouble()).as(c.path("criterion").asText()).isCloseTo(c.path("target").asDouble(), within(0.03));
            assertThat(c.path("policy").path("type").asText()).isEqualTo("channel");
            assertThat(c.path("policy").path("criterion").asText()).isEqualTo(c.path("criterion").asText());
        }
        List<String> criteria = new ArrayList<>();
        calibration.forEach(c -> criteria.add(c.path("criterion").asText()));
        assertThat(criteria).containsExactlyInAnyOrder("magnitude", "magnitude", "weighted", "weighted");
        assertThat(report.path("verdict").asText()).contains("within budget");

        try (FfnSkipModel model = FfnSkipModel.load(SharedAssets.skipbench(), LoadOptions.builder().workingQuantizationType(DType.F32).build())) {
            try (var files = Files.list(policies)) {
                assertThat(files).singleElement().satisfies(f -> assertThat(f.getFileName().toString()).startsWith(model.info().fingerprint().shortId()));
            }
            CalibrationRegistry registry = CalibrationRegistry.of(List.of(Files.list(policies).map(CalibrationRegistry::read).findFirst().orElseThrow()));
            Calibration found = registry.find(model.info().fingerprint(), model.info().precision()).orElseThrow();
            assertThat(found.policy()).isInstanceOf(ChannelSkipPolicy.class);
            assertThat(registry.find(model.info().fingerprint(), "Q4/I8")).as("another precision does not get it").isEmpty();
        }
    }

    @Test
    void storesNothingWhenNoCandidateMeetsTheBudget() throws Exception {
        Path policies = tmp.resolve("policies");
        Path json = tmp.resolve("cc.json");
        // ROUGE-L above 1 cannot be met: nothing may be stored, and the command says so
        int code = Main.commandLine().execute(args(policies, json, "--min-rouge-l", "1.01"));
        assertThat(code).isZero();
        assertThat(new ObjectMapper().readTree(json.toFile()).path("verdict").asText()).doesNotContain("within budget on both");
        assertThat(Files.exists(policies) ? Files.list(policies).count() : 0).isZero();
    }
}

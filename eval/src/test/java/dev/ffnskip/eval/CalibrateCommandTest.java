package dev.ffnskip.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.Calibration;
import dev.ffnskip.jlama.gate.CalibrationRegistry;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PolicyChoice;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import com.github.tjake.jlama.safetensors.DType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * calibrate end to end on a few calibration items: the exact-match criterion writes a policy the gate package loads;
 * the budgeted calibration stores a calibration the registry matches to the same weights, or nothing.
 */
class CalibrateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesALoadablePolicyChosenOnTheCalibrationSplit() throws Exception {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("calibrate", "--tasks", "factoid", "--limit", "3", "--threads", "1", "--no-progress",
            "--max-em-loss", "100", "--layer-counts", "2", "--quantiles", "0.9", "--warmups", "1", "--out", tmp.toString());
        assertThat(code).as("stderr: %s", err).isZero();
        GatePolicy policy = GatePolicies.read(tmp.resolve("policy.json"));
        assertThat(policy.mayDeviateFromDense()).isTrue();
        JsonNode cal = new ObjectMapper().readTree(tmp.resolve("calibration.json").toFile());
        assertThat(cal.get("layers")).hasSize(16);
        // one fixed and one layerwise candidate; with a 100-point floor the one with more skip wins
        assertThat(cal.get("candidates")).hasSize(2);
        assertThat(cal.get("chosen").asText()).isIn("fixed k=2 w=1", "layerwise k=2 q=0.90 w=1");
        assertThat(new ObjectMapper().readTree(tmp.resolve("policy.json").toFile()).get("calibration").get("split").asText()).isEqualTo("calib");
        assertThat(cl.execute("calibrate", "--split", "eval", "--max-em-loss", "1", "--out", tmp.toString())).isEqualTo(2);
    }

    private String[] budgeted(Path policies, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("calibrate", "--chat-limit", "4", "--ppl-limit", "2", "--max-new-tokens", "12",
            "--max-text-tokens", "40", "--thresholds", "0.9", "--layer-counts", "2", "--quantiles", "0.5", "--threads", "1", "--no-progress",
            "--policies-dir", policies.toString(), "--out", tmp.resolve("out-" + policies.getFileName()).toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void budgetedCalibrationStoresACalibrationTheRegistryMatchesForTheSameWeights() throws Exception {
        Path policies = tmp.resolve("policies");
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        // a loose budget that the paper gate at 0.9 meets on both splits
        int code = cl.execute(budgeted(policies, "--max-ppl-increase", "100", "--min-rouge-l", "0"));
        assertThat(code).as("stderr: %s", err).isZero();
        assertThat(out.toString()).contains("stored calibration");
        List<Path> files;
        try (Stream<Path> s = Files.list(policies)) {
            files = s.toList();
        }
        assertThat(files).hasSize(1);
        Calibration stored = CalibrationRegistry.read(files.get(0));
        FfnSkipModel model = TestModels.skipbench();
        assertThat(stored.fingerprint()).isEqualTo(model.info().fingerprint());
        assertThat(stored.precision()).isEqualTo(model.info().precision());
        assertThat(stored.policy().mayDeviateFromDense()).isTrue();
        assertThat(stored.budget().get("min_rouge_l_vs_dense").asDouble()).isZero();
        assertThat(stored.measured().get("calib").get("chat").get("rouge_l_vs_dense").asDouble()).isBetween(0.0, 1.0);
        assertThat(stored.measured().get("eval").get("perplexity").get("increase").asDouble()).isLessThanOrEqualTo(100.0);
        assertThat(stored.command()).contains("calibrate").contains("--min-rouge-l 0");
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("out-policies").resolve("calibration.json").toFile());
        assertThat(report.get("stored").asBoolean()).isTrue();
        assertThat(report.get("candidates")).hasSize(2);

        // matched by fingerprint and precision: the registry over that folder gives it to this model ...
        CalibrationRegistry registry = CalibrationRegistry.of(List.of(stored));
        PolicyChoice choice = registry.choose(model.info().fingerprint(), model.info().precision());
        assertThat(choice.calibration()).isPresent();
        assertThat(choice.policy()).isEqualTo(stored.policy());
        // ... not to the same weights at another precision, nor to other weights
        assertThat(registry.choose(model.info().fingerprint(), "Q4/I8").skips()).isFalse();
        // and a model loaded with that folder as its policies directory runs it by default
        String before = System.getProperty("ffnskip.policies.dir");
        System.setProperty("ffnskip.policies.dir", policies.toString());
        try (FfnSkipModel fresh = FfnSkipModel.load(SharedAssets.skipbench(), LoadOptions.builder().workingQuantizationType(DType.F32).cacheDirectory(TestModels.cacheDir()).build())) {
            assertThat(fresh.defaultPolicy().calibration()).isPresent();
            assertThat(fresh.defaultPolicy().policy()).isEqualTo(stored.policy());
        } finally {
            if (before == null) System.clearProperty("ffnskip.policies.dir");
            else System.setProperty("ffnskip.policies.dir", before);
        }
    }

    @Test
    void anImpossibleBudgetStoresNothingAndSaysSo() throws Exception {
        Path policies = tmp.resolve("none");
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(budgeted(policies, "--min-rouge-l", "1.01"));
        assertThat(code).as("stderr: %s", err).isZero();
        assertThat(out.toString()).contains("no policy fits the budget").contains("stored nothing").contains("Best seen");
        assertThat(Files.exists(policies)).isFalse();
        JsonNode report = new ObjectMapper().readTree(tmp.resolve("out-none").resolve("calibration.json").toFile());
        assertThat(report.get("stored").asBoolean()).isFalse();
        assertThat(report.get("chosen").isNull()).isTrue();
        assertThat(Files.exists(tmp.resolve("out-none").resolve("policy.json"))).isFalse();
        // budget options do not mix with the exact-match criteria
        assertThat(cl.execute("calibrate", "--max-em-loss", "1", "--min-rouge-l", "0.5", "--out", tmp.toString())).isEqualTo(2);
    }
}

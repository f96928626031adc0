package dev.ffnskip.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** calibrate end to end on three calibration items: it writes a policy the gate package loads. */
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
}

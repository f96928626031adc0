package dev.ffnskip.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The main job, in process: numbers for every mode, stock parity of the gate-off path, clean errors. */
class AbCommandTest {
    @TempDir
    Path tmp;

    @Test
    void writesEveryModeAndTheGateOffPathMatchesStockJlama() throws Exception {
        Path prompts = Files.writeString(tmp.resolve("p.jsonl"), """
            {"id": "iron", "messages": [{"role": "user", "content": "What is the chemical symbol for iron?"}]}
            {"id": "genesis", "messages": [{"role": "user", "content": "What is the first verse of Genesis?"}]}
            """);
        Path json = tmp.resolve("ab.json");
        StringWriter out = new StringWriter();
        int exit = run(out, "ab", "--model", SharedAssets.skipbench().toString(), "--precision", "f32", "--prompts", prompts.toString(),
            "--max-tokens", "24", "--repeat", "1", "--threshold", "0.9", "--json", json.toString(), "--cache-dir", TestModels.cacheDir().toString());
        assertThat(exit).isZero();

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertThat(root.get("prompts")).hasSize(2);
        for (JsonNode prompt : root.get("prompts")) {
            JsonNode modes = prompt.get("modes");
            assertThat(modes.get("stock").get("ids")).isNotEmpty();
            assertThat(modes.get("dense").get("ids")).isEqualTo(modes.get("stock").get("ids"));
            assertThat(modes.get("skip").get("skip_ratio").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(root.at("/prompts/0/modes/dense/text").asText()).isEqualTo("Fe");
        assertThat(root.at("/summary/stock/tokens_per_s").asDouble()).isPositive();
        assertThat(root.at("/summary/dense/tokens_per_s").asDouble()).isPositive();
        assertThat(root.at("/summary/skip/tokens_per_s").asDouble()).isPositive();
        assertThat(root.at("/summary/skip/skip_ratio").asDouble()).isPositive();
    }

    @Test
    void badModelFolderIsOneClearLine() {
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("ab", "--model", tmp.resolve("missing-model").toString());
        assertThat(exit).isNotZero();
        assertThat(err.toString().strip()).startsWith("error: Model folder does not exist:").contains("missing-model").doesNotContain("\n").doesNotContain("at dev.");
    }

    private static int run(StringWriter out, String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        return cli.execute(args);
    }
}

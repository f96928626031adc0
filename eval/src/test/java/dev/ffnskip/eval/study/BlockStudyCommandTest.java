package dev.ffnskip.eval.study;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study end to end on the small model: every rule family is run on the same items and scored against dense. */
class BlockStudyCommandTest {
    @TempDir
    Path tmp;

    @Test
    void runsEveryFamilyOnTheSameItemsAndWritesTablesAndCharts() throws Exception {
        Path out = tmp.resolve("study");
        int code = dev.ffnskip.eval.Main.commandLine().execute("block-study", "--model", SharedAssets.skipbench().toString(),
            "--data-dir", SharedAssets.eval("chat_prompts.jsonl").getParent().toString(), "--chat-limit", "2", "--max-new-tokens", "12",
            "--ppl-limit", "1", "--max-text-tokens", "32", "--paper", "0.95", "--oracle", "0.95", "--static-ranking", "7,5,9",
            "--static-k", "2", "--match", "random,layerdrop", "--out", out.toString());
        assertThat(code).isZero();
        JsonNode study = new ObjectMapper().readTree(out.resolve("study.json").toFile());
        Map<String, JsonNode> runs = new HashMap<>();
        for (JsonNode r : study.path("runs")) runs.put(r.path("name").asText(), r);
        assertThat(runs).containsOnlyKeys("paper@0.9500", "static@k2", "oracle@0.9500", "random@static@k2", "layerdrop@static@k2");
        // static skip of 2 of 16 layers after a 2-step warm-up: exactly 2/16 of the gated FFN blocks, on both tasks
        assertThat(runs.get("static@k2").path("perplexity").path("gated_block_skip_ratio").asDouble()).isEqualTo(2.0 / 16);
        assertThat(runs.get("static@k2").path("chat").path("gated_block_skip_ratio").asDouble()).isEqualTo(2.0 / 16);
        assertThat(runs.get("static@k2").path("policy").path("layers").toString()).isEqualTo("[5,7]");
        // skipping FFNs on every token changes the teacher-forced predictions
        assertThat(runs.get("static@k2").path("perplexity").path("perplexity_ratio").asDouble()).isNotEqualTo(1.0);
        assertThat(runs.get("layerdrop@static@k2").path("perplexity").path("ffn_work_skipped").asDouble()).isPositive();
        for (JsonNode r : runs.values()) {
            assertThat(r.path("chat").path("rouge_l_vs_dense").asDouble()).isBetween(0.0, 1.0);
            assertThat(r.path("perplexity").path("perplexity").asDouble()).isPositive();
        }
        assertThat(study.path("config").path("chat_ids").size()).isEqualTo(2);
        assertThat(study.path("layer_profile").path("mean_cosine_text").size()).isEqualTo(16);
        assertThat(out.resolve("pareto-rouge-l.png")).exists();
        assertThat(out.resolve("layer-profile.png")).exists();
        assertThat(Files.readString(out.resolve("study.md"))).contains("| oracle@0.9500 |");
    }
}

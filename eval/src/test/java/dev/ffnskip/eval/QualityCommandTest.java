package dev.ffnskip.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The scripted interface end to end on a few items of each task (small limits keep it fast). */
class QualityCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JsonNode quality(String... args) throws IOException {
        Path out = tmp.resolve("run-" + System.nanoTime() + ".json");
        List<String> all = new ArrayList<>(List.of("quality", "--threads", "1", "--no-progress", "--json", out.toString()));
        all.addAll(List.of(args));
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(all.toArray(String[]::new));
        assertThat(code).as("exit code, stderr: %s", err).isZero();
        JsonNode run = JSON.readTree(out.toFile());
        assertThat(run.get("n").asInt()).isPositive();
        assertThat(run.has("realized_skip_ratio")).isTrue();
        assertThat(run.has("tokens_per_s")).isTrue();
        assertThat(run.get("config").get("command").asText()).contains("quality");
        assertThat(Files.exists(tmp.resolve(out.getFileName().toString().replace(".json", ".items.jsonl.gz")))).isTrue();
        run = ((com.fasterxml.jackson.databind.node.ObjectNode) run).put("_file", out.toString());
        return run;
    }

    @Test
    void factoidInAllModesWithAgreementAgainstDense() throws IOException {
        String data = SharedAssets.eval("factoid_qa.jsonl").toString();
        JsonNode dense = quality("--task", "factoid", "--data", data, "--mode", "dense", "--limit", "4");
        assertThat(dense.get("n").asInt()).isEqualTo(4);
        assertThat(dense.get("realized_skip_ratio").asDouble()).isZero();
        assertThat(dense.get("exact_match").asDouble()).isBetween(0.0, 1.0);
        // the first four items: HF's greedy answers get 3 of 4 right (Tin for Thallium is wrong)
        assertThat(dense.get("exact_match").asDouble()).isEqualTo(0.75);

        String ref = dense.get("_file").asText();
        JsonNode skip = quality("--task", "factoid", "--mode", "skip", "--threshold", "0.9", "--warmup", "0", "--limit", "4", "--reference", ref);
        assertThat(skip.get("realized_skip_ratio").asDouble()).isPositive();
        assertThat(skip.get("agreement").get("items_compared").asInt()).isEqualTo(4);
        assertThat(skip.get("config").get("policy").get("threshold").asDouble()).isEqualTo(0.9);

        JsonNode random = quality("--task", "factoid", "--mode", "random", "--target-skip", "0.25", "--limit", "4", "--reference", ref);
        assertThat(random.get("realized_skip_ratio").asDouble()).isBetween(0.05, 0.5);
        JsonNode drop = quality("--task", "factoid", "--mode", "layerdrop", "--target-skip", "0.25", "--limit", "4");
        // exact by construction over gated steps; warm-up 0 means every decode step is gated
        assertThat(drop.get("realized_skip_ratio").asDouble()).isCloseTo(0.25, org.assertj.core.api.Assertions.within(0.02));

        JsonNode defaults = quality("--task", "factoid", "--mode", "skip", "--limit", "2");
        assertThat(defaults.get("config").get("policy_description").asText()).isNotBlank();
    }

    @Test
    void everyOtherTaskProducesItsMetrics() throws IOException {
        JsonNode context = quality("--task", "context", "--limit", "2");
        assertThat(context.has("exact_match")).isTrue();
        assertThat(context.has("token_f1")).isTrue();
        JsonNode summarize = quality("--task", "summarize", "--limit", "1", "--max-new-tokens", "12");
        assertThat(summarize.get("rouge_l").asDouble()).isBetween(0.0, 1.0);
        JsonNode tools = quality("--task", "tools", "--limit", "1");
        assertThat(tools.get("call_exact").asDouble()).isEqualTo(1.0);
        assertThat(tools.has("exact_match")).isTrue();
        JsonNode ppl = quality("--task", "perplexity", "--limit", "2", "--max-text-tokens", "24", "--mode", "skip", "--threshold", "0.9", "--warmup", "0");
        assertThat(ppl.get("perplexity").asDouble()).isGreaterThan(1.0);
        assertThat(ppl.get("tokens").asInt()).isEqualTo(48);
        // 23 decode steps per text: the first token is predicted from the prefill
        assertThat(ppl.get("counters").get("decode_steps").asInt()).isEqualTo(46);
        JsonNode chat = quality("--task", "chat", "--split", "calib", "--limit", "2", "--max-new-tokens", "12", "--mode", "random", "--target-skip", "0.5");
        assertThat(chat.get("rouge_l_vs_dense").asDouble()).isBetween(0.0, 1.0);
        assertThat(chat.get("exact_vs_dense").asDouble()).isBetween(0.0, 1.0);
        assertThat(chat.get("matched_prefix").asDouble()).isBetween(0.0, 1.0);
        assertThat(chat.get("by_kind").size()).isPositive();
        JsonNode pplContext = quality("--task", "perplexity", "--limit", "1", "--max-text-tokens", "24", "--ppl-context", "16");
        assertThat(pplContext.get("tokens").asInt()).isEqualTo(8);
        assertThat(pplContext.get("counters").get("decode_steps").asInt()).isEqualTo(7);
        JsonNode stories = quality("--task", "continuation", "--model", SharedAssets.stories().toString(), "--limit", "2", "--max-new-tokens", "16");
        assertThat(stories.get("output_tokens").asDouble()).isPositive();
    }

    @Test
    void badArgumentsFailWithAMessage() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("quality", "--task", "factoid", "--mode", "random", "--limit", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("--target-skip");
        assertThat(cl.execute("quality", "--task", "nope", "--limit", "1")).isEqualTo(2);
    }
}

package dev.ffnskip.eval.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Perplexity with a dense context: the first text tokens are prefilled, the gate acts on every later one. */
class PerplexityTaskTest {
    @Test
    void contextIsPrefilledDenseAndOnlyLaterTokensAreScoredAndGated() {
        FfnSkipModel model = TestModels.skipbench();
        PerplexityTask task = new PerplexityTask();
        TaskOptions options = new TaskOptions(0, 48, 8, 16);
        EvalItem item = task.load(model, SharedAssets.eval("heldout_text.jsonl"), options).get(0);
        // skipbench-28m: BOS + 16 context tokens prefilled, 32 tokens teacher forced
        assertThat(item.prompts().get(0)).hasSize(17);
        assertThat(item.prompts().get(0)[0]).isEqualTo(model.jlama().getConfig().bosToken);
        assertThat(item.prompts().get(1)).hasSize(32);
        GatePolicy gate = Policies.paper(0.9).toBuilder().warmupTokens(0).build();
        List<ItemResult> r = task.runMany(model, List.of(GatePolicy.DENSE, gate), item, options);
        for (ItemResult x : r) {
            assertThat(x.score("tokens")).isEqualTo(32);
            assertThat(x.decodeSteps).isEqualTo(31); // the first scored token is predicted by the prefill
            assertThat(x.promptTokens).isEqualTo(17);
            assertThat(x.tokens.get(0)).hasSize(32);
        }
        assertThat(r.get(0).ffnSkipped).isZero();
        assertThat(r.get(1).ffnSkipped).isPositive();
        assertThat(r.get(1).ffnTotal).isEqualTo(31 * 16);
        // the first prediction comes from the dense prefill, so it is the same under any gate
        assertThat(r.get(1).tokens.get(0)[0]).isEqualTo(r.get(0).tokens.get(0)[0]);
        assertThat(r.get(1).score("nll")).isGreaterThan(0);

        // without a context the old setting holds: BOS prefilled, every text token scored
        EvalItem all = task.load(model, SharedAssets.eval("heldout_text.jsonl"), new TaskOptions(0, 24, 8)).get(0);
        assertThat(all.prompts().get(0)).hasSize(1);
        assertThat(all.prompts().get(1)).hasSize(24);
    }

    @Test
    void smolLm2TextGetsNoBosAsItsTokenizerAddsNone() throws IOException {
        FfnSkipModel model = TestModels.gated(SharedAssets.smollm2(), TestModels.Precision.F32);
        PerplexityTask task = new PerplexityTask();
        TaskOptions options = new TaskOptions(0, 160, 8, 16);
        EvalItem item = task.load(model, SharedAssets.eval("heldout_text.jsonl"), options).get(0);
        String text = new ObjectMapper().readTree(Files.readAllLines(SharedAssets.eval("heldout_text.jsonl")).get(0)).get("text").asText();
        int[] ids = model.encodeText(text);
        assertThat(item.prompts().get(0)).containsExactly(Arrays.copyOf(ids, 16));
        assertThat(item.prompts().get(1)).containsExactly(Arrays.copyOfRange(ids, 16, 160));
    }
}

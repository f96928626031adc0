package dev.ffnskip.eval.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The chat task's faithfulness metrics against the dense decode of the same prompt. */
class ChatTaskTest {
    private static final TaskOptions OPTIONS = new TaskOptions(24, 0, 8);

    @Test
    void scoresAgainstDenseOnHandMadeSequences() {
        ItemResult dense = result(new int[] { 5, 6, 7, 8 }, "the cat sat down");
        ItemResult same = result(new int[] { 5, 6, 7, 8 }, "the cat sat down");
        ItemResult diverged = result(new int[] { 5, 6, 9, 8, 1 }, "the cat ran down now");
        ChatTask.scoreAgainst(dense, same);
        ChatTask.scoreAgainst(dense, diverged);
        assertThat(same.score("exact_vs_dense")).isEqualTo(1.0);
        assertThat(same.score("matched_prefix")).isEqualTo(1.0);
        assertThat(same.score("rouge_l_vs_dense")).isEqualTo(1.0);
        assertThat(diverged.score("exact_vs_dense")).isZero();
        assertThat(diverged.score("matched_prefix")).isEqualTo(0.5); // 2 tokens before the divergence / 4 dense tokens
        // LCS 3 of 5 candidate and 4 reference words: P 0.6, R 0.75, F1 = 2/3
        assertThat(diverged.score("rouge_l_vs_dense")).isCloseTo(2.0 / 3.0, within(1e-12));
        // an answer that stops early matches its whole length, not the dense one
        ItemResult shorter = result(new int[] { 5, 6, 7 }, "the cat sat");
        ChatTask.scoreAgainst(dense, shorter);
        assertThat(shorter.score("matched_prefix")).isEqualTo(0.75);
        // two empty answers are identical
        ItemResult empty = result(new int[] { 2 }, "");
        ItemResult empty2 = result(new int[] { 2 }, "");
        ChatTask.scoreAgainst(empty, empty2);
        assertThat(empty2.score("rouge_l_vs_dense")).isEqualTo(1.0);
    }

    @Test
    void denseIsFaithfulToDenseAndHeavySkippingIsNot() {
        FfnSkipModel model = TestModels.skipbench();
        ChatTask task = new ChatTask();
        List<EvalItem> all = task.load(model, SharedAssets.eval("chat_prompts.jsonl"), OPTIONS);
        assertThat(all).hasSize(210);
        // interleaved by kind, so the first items of each split (what --limit takes) mix all four kinds
        for (Splits.Split split : List.of(Splits.Split.CALIB, Splits.Split.EVAL)) {
            assertThat(Splits.select(all, split, 8).stream().map(EvalItem::kind).distinct()).as("%s", split)
                .containsExactlyInAnyOrder("explain", "summarize", "continue", "instruct");
        }
        assertThat(Splits.select(all, Splits.Split.CALIB, 0)).doesNotContainAnyElementsOf(Splits.select(all, Splits.Split.EVAL, 0));
        List<EvalItem> items = Splits.select(all, Splits.Split.CALIB, 4);
        assertThat(items).hasSize(4);
        GatePolicy heavy = new FixedLayerSkip(Set.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), 0);
        GatePolicy paper = Policies.paper(0.9).toBuilder().warmupTokens(0).build();
        List<List<ItemResult>> byPolicy = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<ItemResult> alone = new ArrayList<>();
        for (EvalItem item : items) {
            List<ItemResult> r = task.runMany(model, List.of(GatePolicy.DENSE, heavy, GatePolicy.DENSE, paper), item, OPTIONS);
            for (int p = 0; p < 4; p++) byPolicy.get(p).add(r.get(p));
            // without a dense policy in the run, the task decodes dense itself (and does not report it)
            List<ItemResult> single = task.runMany(model, List.of(heavy), item, OPTIONS);
            assertThat(single).hasSize(1);
            alone.add(single.get(0));
        }
        ObjectNode dense = aggregate(task, byPolicy.get(0));
        ObjectNode dense2 = aggregate(task, byPolicy.get(2));
        ObjectNode skipped = aggregate(task, byPolicy.get(1));
        for (ObjectNode d : List.of(dense, dense2)) {
            assertThat(d.get("exact_vs_dense").asDouble()).isEqualTo(1.0);
            assertThat(d.get("matched_prefix").asDouble()).isEqualTo(1.0);
            assertThat(d.get("rouge_l_vs_dense").asDouble()).isEqualTo(1.0);
        }
        assertThat(skipped.get("exact_vs_dense").asDouble()).isLessThan(1.0);
        assertThat(skipped.get("rouge_l_vs_dense").asDouble()).isLessThan(1.0);
        assertThat(skipped.get("matched_prefix").asDouble()).isLessThan(1.0);
        assertThat(aggregate(task, alone)).isEqualTo(skipped);
        // per kind: every kind's means, with its item count
        int n = 0;
        for (var k : skipped.get("by_kind").properties()) {
            n += k.getValue().get("n").asInt();
            assertThat(k.getValue().get("rouge_l_vs_dense").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(n).isEqualTo(4);

        // scoring against dense results measured earlier gives the same numbers without decoding dense again
        Map<String, ItemResult> reference = new HashMap<>();
        for (ItemResult r : byPolicy.get(0)) reference.put(r.id, r);
        Task against = Task.chatAgainst(reference);
        List<ItemResult> again = new ArrayList<>();
        for (EvalItem item : items) again.add(against.runMany(model, List.of(paper), item, OPTIONS).get(0));
        assertThat(aggregate(task, again)).isEqualTo(aggregate(task, byPolicy.get(3)));
    }

    private static ObjectNode aggregate(Task task, List<ItemResult> results) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        task.aggregate(results, o);
        return o;
    }

    private static ItemResult result(int[] ids, String text) {
        ItemResult r = new ItemResult("x", "k");
        r.tokens.add(ids);
        r.texts.add(text);
        return r;
    }
}

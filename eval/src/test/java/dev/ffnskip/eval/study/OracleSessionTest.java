package dev.ffnskip.eval.study;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The oracle's two extremes are rules the project's decoder already runs: a threshold no cosine reaches is dense, one
 * every cosine reaches skips every unprotected FFN after warm-up (a fixed layer skip). Between them it must skip some.
 */
class OracleSessionTest {
    @Test
    void extremesEqualDenseAndFixedSkipAndTheMiddleSkipsSome() throws IOException {
        FfnSkipModel model = TestModels.skipbench();
        int layers = model.jlama().numberOfLayers();
        Set<Integer> middle = new TreeSet<>();
        for (int l = 2; l < layers - 2; l++) middle.add(l);
        GatePolicy fixed = new FixedLayerSkip(middle, 0);
        long someSkipped = 0, someSteps = 0;
        // held-out text continued as plain text: long answers (this model ends chat answers to foreign prompts at once)
        for (EvalItem item : Task.forName("perplexity").load(model, SharedAssets.eval("heldout_text.jsonl"), new TaskOptions(0, 24, 0, 12)).subList(0, 3)) {
            int[] prompt = item.prompts().get(0);
            int[] dense;
            try (StudySequence s = StudySequence.of(model, GatePolicy.DENSE)) {
                dense = BlockStudyCommand.greedy(s, model, prompt, 16);
            }
            try (OracleSession never = new OracleSession(model, Double.POSITIVE_INFINITY, 2, 2, 1)) {
                assertThat(BlockStudyCommand.greedy(never, model, prompt, 16)).containsExactly(dense);
                assertThat(never.blocksSkipped()).isZero();
            }
            int[] skipAll;
            long fixedSkipped;
            try (StudySequence s = StudySequence.of(model, fixed)) {
                skipAll = BlockStudyCommand.greedy(s, model, prompt, 16);
                fixedSkipped = s.blocksSkipped();
            }
            try (OracleSession always = new OracleSession(model, Double.NEGATIVE_INFINITY, 2, 2, 0)) {
                assertThat(BlockStudyCommand.greedy(always, model, prompt, 16)).containsExactly(skipAll);
                assertThat(always.blocksSkipped()).as("skip-all oracle, answer of %d tokens %s, dense %s", skipAll.length, java.util.Arrays.toString(skipAll), java.util.Arrays.toString(dense)).isEqualTo(fixedSkipped).isPositive();
                assertThat(always.skippedPerLayer()[0]).isZero();
                assertThat(always.skippedPerLayer()[layers - 1]).isZero();
            }
            try (OracleSession some = new OracleSession(model, 0.95, 2, 2, 1)) {
                BlockStudyCommand.greedy(some, model, prompt, 16);
                someSkipped += some.blocksSkipped();
                someSteps += some.gatedSteps() * (layers - 4);
            }
        }
        assertThat(someSkipped).isPositive().isLessThan(someSteps);
    }
}

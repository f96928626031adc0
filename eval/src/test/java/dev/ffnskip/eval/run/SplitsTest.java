package dev.ffnskip.eval.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.eval.task.EvalItem;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SplitsTest {
    @Test
    void fnv1aMatchesPublishedTestVectors() {
        assertThat(Integer.toUnsignedString(Splits.fnv1a(""), 16)).isEqualTo("811c9dc5");
        assertThat(Integer.toUnsignedString(Splits.fnv1a("a"), 16)).isEqualTo("e40c292c");
        assertThat(Integer.toUnsignedString(Splits.fnv1a("foobar"), 16)).isEqualTo("bf9cf968");
    }

    @Test
    void splitIsDeterministicDisjointAndAboutOneFifth() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<EvalItem> items = new ArrayList<>();
        for (String line : Files.readAllLines(SharedAssets.eval("factoid_qa.jsonl"))) {
            String id = json.readTree(line).get("id").asText();
            items.add(new EvalItem(id, "k", null, List.of()));
        }
        List<EvalItem> calib = Splits.select(items, Splits.Split.CALIB, 0);
        List<EvalItem> eval = Splits.select(items, Splits.Split.EVAL, 0);
        assertThat(calib.size() + eval.size()).isEqualTo(items.size());
        assertThat(calib).doesNotContainAnyElementsOf(eval);
        assertThat(calib.size()).isBetween(160, 240);
        assertThat(Splits.select(items, Splits.Split.CALIB, 0)).isEqualTo(calib);
        assertThat(Splits.select(items, Splits.Split.EVAL, 10)).isEqualTo(eval.subList(0, 10));
        assertThat(Splits.select(items, Splits.Split.ALL, 0)).hasSize(items.size());
    }

    @Test
    void chatPromptsSplitDeterministicallyWithEveryKindOnBothSides() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<EvalItem> items = new ArrayList<>();
        for (String line : Files.readAllLines(SharedAssets.eval("chat_prompts.jsonl"))) {
            var row = json.readTree(line);
            items.add(new EvalItem(row.get("id").asText(), row.get("kind").asText(), null, List.of()));
        }
        List<EvalItem> calib = Splits.select(items, Splits.Split.CALIB, 0);
        List<EvalItem> eval = Splits.select(items, Splits.Split.EVAL, 0);
        assertThat(items).hasSize(210);
        assertThat(calib.size() + eval.size()).isEqualTo(210);
        assertThat(calib).doesNotContainAnyElementsOf(eval);
        assertThat(calib.size()).isBetween(30, 55);
        // the split is a function of the id alone: reversed input, same members
        List<EvalItem> reversed = new ArrayList<>(items);
        java.util.Collections.reverse(reversed);
        assertThat(Splits.select(reversed, Splits.Split.CALIB, 0)).containsExactlyInAnyOrderElementsOf(calib);
        for (String kind : List.of("explain", "summarize", "continue", "instruct")) {
            assertThat(calib).as("calib %s", kind).anyMatch(i -> i.kind().equals(kind));
            assertThat(eval).as("eval %s", kind).anyMatch(i -> i.kind().equals(kind));
        }
    }
}

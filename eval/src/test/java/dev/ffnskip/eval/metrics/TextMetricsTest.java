package dev.ffnskip.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextMetricsTest {

    @Test
    void normalizationLowersRemovesPunctuationAndStrips() {
        assertThat(TextMetrics.normalize("  The Burden of Nineveh.  ")).isEqualTo("the burden of nineveh");
        assertThat(TextMetrics.normalize("Bond Markets Unit (E.U.A.-17)")).isEqualTo("bond markets unit eua17");
        assertThat(TextMetrics.normalize("a \t b\nc")).isEqualTo("a b c");
        assertThat(TextMetrics.normalize("¡Hola!")).isEqualTo("hola");
        assertThat(TextMetrics.exactMatch("Cadmium.", "cadmium")).isTrue();
        assertThat(TextMetrics.exactMatch("Tin", "Thallium")).isFalse();
    }

    /**
     * The shared predictions' "ok" flags only lower-case and strip a trailing period; we remove all punctuation as the
     * data's definition says. The two agree on every row except one whose prediction lacks only a closing parenthesis.
     */
    @Test
    void exactMatchAgreesWithTheReferenceOkFlagsUpToPunctuation() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(SharedAssets.eval("hf_predictions_skipbench-28m.jsonl"));
        assertThat(lines).hasSize(1500);
        List<String> disagreements = new java.util.ArrayList<>();
        for (String line : lines) {
            JsonNode row = json.readTree(line);
            if (TextMetrics.exactMatch(row.get("pred").asText(), row.get("answer").asText()) != row.get("ok").asBoolean()) {
                disagreements.add(row.get("id").asText());
            }
        }
        assertThat(disagreements).containsExactly("fact-0465");
        assertThat(TextMetrics.exactMatch("Bond Markets Unit European Unit of Account 9 (E.U.A.-9", "Bond Markets Unit European Unit of Account 9 (E.U.A.-9)")).isTrue();
    }

    @Test
    void tokenF1CountsBagOverlap() {
        // pred {the, cat, sat}, ref {the, cat, sat, down}: P = 3/3, R = 3/4, F1 = 6/7
        assertThat(TextMetrics.tokenF1("The cat sat.", "the cat sat down")).isCloseTo(6.0 / 7, within(1e-12));
        // duplicates count once per occurrence: pred {a, a, b}, ref {a, b, b}: common = 2, P = R = 2/3
        assertThat(TextMetrics.tokenF1("a a b", "a b b")).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(TextMetrics.tokenF1("x", "y")).isZero();
        assertThat(TextMetrics.tokenF1("", "")).isEqualTo(1.0);
        assertThat(TextMetrics.tokenF1("", "y")).isZero();
    }

    @Test
    void lcsOfHandWorkedSequences() {
        assertThat(TextMetrics.lcsLength(List.of("a", "b", "c", "b", "d", "a", "b"), List.of("b", "d", "c", "a", "b", "a"))).isEqualTo(4);
        assertThat(TextMetrics.lcsLength(List.of("a", "b"), List.of())).isZero();
        assertThat(TextMetrics.lcsLength(List.of("x", "y", "z"), List.of("x", "y", "z"))).isEqualTo(3);
        assertThat(TextMetrics.lcsLength(List.of("a", "b", "c"), List.of("c", "b", "a"))).isEqualTo(1);
    }

    @Test
    void rougeLMatchesHandComputedValues() {
        // Lin (2004) example: reference "police killed the gunman".
        // "police kill the gunman": LCS = police, the, gunman = 3; P = 3/4, R = 3/4, F = 0.75
        assertThat(TextMetrics.rougeL("police kill the gunman", "police killed the gunman")).isCloseTo(0.75, within(1e-12));
        // "the gunman kill police": LCS = "the gunman" = 2; P = R = 2/4, F = 0.5
        assertThat(TextMetrics.rougeL("the gunman kill police", "police killed the gunman")).isCloseTo(0.5, within(1e-12));
        // unequal lengths: cand "the cat was found under the bed" (7), ref "the cat was under the bed" (6):
        // LCS = the cat was under the bed = 6; P = 6/7, R = 1, F = 2 * (6/7) / (6/7 + 1) = 12/13
        assertThat(TextMetrics.rougeL("The cat was found under the bed.", "the cat was under the bed")).isCloseTo(12.0 / 13, within(1e-12));
        // not a bag-of-words: the same tokens reversed share an LCS of 1: P = R = 1/3
        assertThat(TextMetrics.rougeL("c b a", "a b c")).isCloseTo(1.0 / 3, within(1e-12));
        assertThat(TextMetrics.rougeL("identical text", "Identical text!")).isEqualTo(1.0);
        assertThat(TextMetrics.rougeL("", "x")).isZero();
        assertThat(TextMetrics.rougeL("x", "")).isZero();
        // two answers without words (an end token at once, or punctuation only) agree: faithfulness 1, not 0
        assertThat(TextMetrics.rougeL("", "")).isEqualTo(1.0);
        assertThat(TextMetrics.rougeL("...", "")).isEqualTo(1.0);
        assertThat(TextMetrics.rougeL("a", "b")).isZero();
    }
}

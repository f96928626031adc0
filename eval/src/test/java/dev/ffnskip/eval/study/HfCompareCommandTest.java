package dev.ffnskip.eval.study;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ffnskip.eval.Main;
import dev.ffnskip.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCompareCommandTest {
    @TempDir
    Path tmp;

    @Test
    void externalTextsAreScoredByNormalisedTextAndRougeL() throws Exception {
        ObjectMapper m = new ObjectMapper();
        List<String> hf = Files.readAllLines(SharedAssets.eval("hf_answers_smollm2-135m-instruct.jsonl")).subList(0, 3);
        List<String> ours = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            JsonNode row = m.readTree(hf.get(i));
            String text = row.get("text").asText();
            // same answer in other case and punctuation; a first word changed; the whole answer replaced
            String changed = i == 0 ? text.toUpperCase() + "!" : i == 1 ? "Banana " + text.substring(text.indexOf(' ') + 1) : "nothing alike";
            ObjectNode o = m.createObjectNode().put("id", row.get("id").asText()).put("text", changed);
            ours.add(m.writeValueAsString(o));
        }
        Path texts = tmp.resolve("answers.jsonl");
        Files.write(texts, ours);
        Path json = tmp.resolve("out.json");
        assertThat(Main.commandLine().execute("hf-compare", "--texts", texts.toString(), "--limit", "3", "--json", json.toString())).isZero();
        JsonNode s = m.readTree(json.toFile());
        assertThat(s.get("n").asInt()).isEqualTo(3);
        assertThat(s.get("identical_to_hf").asInt()).isEqualTo(1);
        double r = s.get("mean_rouge_l_vs_hf").asDouble();
        assertThat(r).isGreaterThan(1.0 / 3 + 0.25).isLessThan(2.0 / 3 + 0.01);
    }

    @Test
    void agreementIsNoDivergence() {
        assertThat(HfCompareCommand.firstDivergence(new float[] { 0f, 3f, 1f }, 4, 1)).isNull();
    }

    @Test
    void divergenceReportsTopTwoTheReferenceAndItsRank() {
        HfCompareCommand.Divergence d = HfCompareCommand.firstDivergence(new float[] { 0.5f, 3f, 2.75f, 2.9f }, 7, 2);
        assertThat(d.step()).isEqualTo(7);
        assertThat(d.ours()).isEqualTo(1);
        assertThat(d.second()).isEqualTo(3);
        assertThat(d.reference()).isEqualTo(2);
        assertThat(d.referenceRank()).isEqualTo(2);
        assertThat(d.marginToReference()).isEqualTo(0.25, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(d.marginTop2()).isEqualTo(0.1, org.assertj.core.api.Assertions.within(1e-6));
    }

    @Test
    void anExactTieGoesToTheLowerIdLikeTheDecoder() {
        // the decoder's argmax returns the first maximum, so a reference with the higher id diverges at margin 0
        HfCompareCommand.Divergence d = HfCompareCommand.firstDivergence(new float[] { 1f, 2f, 2f }, 0, 2);
        assertThat(d.ours()).isEqualTo(1);
        assertThat(d.marginToReference()).isZero();
        assertThat(HfCompareCommand.firstDivergence(new float[] { 1f, 2f, 2f }, 0, 1)).isNull();
    }
}

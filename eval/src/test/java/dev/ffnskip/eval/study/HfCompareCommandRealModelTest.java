package dev.ffnskip.eval.study;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.eval.Main;
import dev.ffnskip.eval.run.RunRecord;
import dev.ffnskip.testing.SharedAssets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On SmolLM2: teacher forcing finds the same verdicts as whole decodes, and the divergence step it reports is
 * where our own greedy decode leaves the Hugging Face answer.
 */
class HfCompareCommandRealModelTest {
    @TempDir
    Path tmp;

    @Test
    void teacherForcingAgreesWithWholeDecodes() throws Exception {
        String ids = "explain-000,explain-001,summarize-000,continue-000";
        Map<String, JsonNode> stepped = run("stepped", "--ids", ids);
        Map<String, JsonNode> decoded = run("decoded", "--ids", ids, "--decode");
        assertThat(stepped).hasSize(4);
        for (String id : stepped.keySet()) {
            JsonNode s = stepped.get(id), d = decoded.get(id);
            assertThat(d.path("identical_to_hf").asBoolean()).as(id).isEqualTo(s.path("identical_to_hf").asBoolean());
            assertThat(s.path("prompt_ids_equal_ours").asBoolean()).as("our chat template renders %s like transformers", id).isTrue();
            if (!s.path("identical_to_hf").asBoolean()) {
                assertThat(s.path("first_divergence").asInt()).as(id).isEqualTo(d.path("first_divergence").asInt());
                assertThat(s.path("ours").asInt()).as(id).isEqualTo(d.path("ids").get(s.path("first_divergence").asInt()).asInt());
                assertThat(s.path("logit_margin_to_hf").asDouble()).isGreaterThanOrEqualTo(0.0);
            }
        }
    }

    private Map<String, JsonNode> run(String name, String... args) throws Exception {
        Path json = tmp.resolve(name + ".json");
        String[] all = new String[args.length + 5];
        all[0] = "hf-compare";
        all[1] = "--model";
        all[2] = SharedAssets.smollm2().toString();
        all[3] = "--json";
        all[4] = json.toString();
        System.arraycopy(args, 0, all, 5, args.length);
        assertThat(Main.commandLine().execute(all)).isZero();
        Map<String, JsonNode> out = new HashMap<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : Files.readAllLines(RunRecord.itemsFile(json))) {
            JsonNode j = m.readTree(line);
            out.put(j.path("id").asText(), j);
        }
        return out;
    }
}

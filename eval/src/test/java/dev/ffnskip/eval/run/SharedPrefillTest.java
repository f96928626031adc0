package dev.ffnskip.eval.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Decoding several policies after one shared prefill gives exactly what separate generations give. */
/** {@code FfnSkipModel.generateEach} (one prefill, each policy decoded from a rewind) against separate generations. */
class SharedPrefillTest {
    @Test
    void matchesSeparateGenerationsTokenForToken() throws IOException {
        FfnSkipModel model = TestModels.skipbench();
        List<GatePolicy> policies = List.of(
            GatePolicy.DENSE,
            Policies.paper(0.95).toBuilder().warmupTokens(0).build(),
            Policies.random(0.3, 16, 2, 2, 0, 1),
            Policies.layerDrop(0.2, 2, 2, 1),
            GatePolicy.DENSE
        );
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(SharedAssets.eval("context_qa.jsonl")).subList(0, 3);
        int skipped = 0;
        for (String line : lines) {
            String q = json.readTree(line).get("messages").get(0).get("content").asText();
            int[] prompt = model.encode(model.promptSupport().orElseThrow().builder().addUserMessage(q).build());
            List<GenerationResult> shared = model.generateEach(prompt, policies.stream().map(p -> GenerationRequest.builder().maxNewTokens(24).gate(p).build()).toList());
            for (int p = 0; p < policies.size(); p++) {
                GenerationResult alone = model.generate(prompt, GenerationRequest.builder().maxNewTokens(24).gate(policies.get(p)).build());
                assertThat(shared.get(p).tokenIds()).as("policy %s", policies.get(p).describe()).containsExactly(alone.tokenIds());
                assertThat(shared.get(p).text()).isEqualTo(alone.text());
                assertThat(shared.get(p).stats().decodeSteps()).isEqualTo(alone.stats().decodeSteps());
                assertThat(shared.get(p).stats().ffnSkipped()).isEqualTo(alone.stats().ffnSkipped());
                assertThat(shared.get(p).stats().layersDropped()).isEqualTo(alone.stats().layersDropped());
                skipped += (int) shared.get(p).stats().ffnSkipped();
            }
            // the last dense decode ran after four other policies rewrote the cache past the prompt
            assertThat(shared.get(4).tokenIds()).containsExactly(shared.get(0).tokenIds());
            assertThat(shared.get(4).stats().prefillNanos()).isEqualTo(shared.get(0).stats().prefillNanos()); // one shared prefill
        }
        assertThat(skipped).isPositive();
    }
}

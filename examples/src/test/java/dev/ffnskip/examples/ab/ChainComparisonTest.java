package dev.ffnskip.examples.ab;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.testing.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChainComparisonTest {
    @Test
    void runsTheRagChainAndTheAgentWithDenseAndSkipModels() {
        ChainComparison comparison = new ChainComparison();
        List<ChainComparison.Row> rows = comparison.run(TestModels.skipbench(), TestModels.skipbench().defaultPolicy().policy(), new PrintStream(new ByteArrayOutputStream()));
        assertThat(rows).hasSize(ChainComparison.RAG_QUESTIONS.size() + ChainComparison.AGENT_QUESTIONS.size());
        // Dense answers come from the retrieved passage / the tool result.
        assertThat(rows.get(0).dense()).isEqualTo("Dora Pemberton");
        assertThat(rows.get(ChainComparison.RAG_QUESTIONS.size()).dense()).contains("82");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        comparison.print(new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("answers agree:").contains("skip ratio");
        @SuppressWarnings("unchecked")
        Map<String, Object> skip = (Map<String, Object>) ((Map<String, Object>) comparison.toJson().get("summary")).get("skip");
        assertThat((double) skip.get("skip_ratio")).isPositive();
    }
}

package dev.ffnskip.langchain4j;

import com.fasterxml.jackson.databind.*;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.*;
import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.*;
import dev.ffnskip.jlama.generate.*;
import dev.ffnskip.jlama.load.LoadOptions;
import dev.ffnskip.testing.SharedAssets;
import org.junit.jupiter.api.Test;
import java.nio.file.*;
import java.util.*;

class ScratchExploreTest {
    static String norm(String s) { return s.toLowerCase().replaceAll("\\p{Punct}", "").trim(); }
    @Test
    void explore() throws Exception {
        ObjectMapper om = new ObjectMapper();
        FfnSkipModel m = FfnSkipModel.load(SharedAssets.skipbench(), LoadOptions.builder().workingQuantizationType(DType.F32).build());
        PromptSupport ps = m.promptSupport().orElseThrow();
        List<String> ctx = Files.readAllLines(SharedAssets.eval("context_qa.jsonl"));
        for (int i = 0; i < 40; i++) {
            JsonNode c = om.readTree(ctx.get(i));
            String t1 = "Context:\n" + c.get("context").asText();
            String t2 = "Question: " + c.get("question").asText();
            GenerationResult r1 = m.generate(m.encode(ps.builder().addUserMessage(t1).build()), GenerationRequest.builder().maxNewTokens(40).build());
            GenerationResult r2 = m.generate(m.encode(ps.builder().addUserMessage(t1).addAssistantMessage(r1.text()).addUserMessage(t2).build()), GenerationRequest.builder().maxNewTokens(40).build());
            GenerationResult r3 = m.generate(m.encode(ps.builder().addUserMessage(t2).build()), GenerationRequest.builder().maxNewTokens(40).build());
            System.out.println("ctx" + i + " " + norm(r2.text()).equals(norm(c.get("answer").asText())) + " " + norm(r3.text()).equals(norm(c.get("answer").asText())) + " [" + r1.text() + "] -> [" + r2.text() + "] nomem=[" + r3.text() + "] exp=" + c.get("answer").asText() + " len=" + c.get("context").asText().length());
        }
    }
}

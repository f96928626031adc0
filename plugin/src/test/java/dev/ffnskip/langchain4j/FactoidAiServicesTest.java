package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.service.AiServices;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AiServices answers the first 30 factoid questions of shared/eval/factoid_qa.jsonl with FFN skipping on (default
 * policy) as well as densely. Margin: skipping may lose at most 2 of the 30 answers dense decoding gets right
 * (measured: both get 22 of 30 right with identical answers).
 */
class FactoidAiServicesTest {
    private static final int QUESTIONS = 30;
    private static final int MARGIN = 2;

    interface Assistant {
        String answer(String question);
    }

    @Test
    void skippingAnswersFactoidsAsWellAsDense() {
        List<JsonNode> items = TestSupport.eval("factoid_qa.jsonl", QUESTIONS);
        // The real default policy (PaperGatePolicy.paperDefault()), not the tests' pinned one.
        Assistant skipping = AiServices.create(Assistant.class, TestSupport.chatModelBuilder().skipPolicy(null).build());
        Assistant dense = AiServices.create(Assistant.class, TestSupport.chatModelBuilder().skipPolicy(null).skipEnabled(false).build());

        int skipCorrect = 0;
        int denseCorrect = 0;
        StringBuilder report = new StringBuilder();
        for (JsonNode item : items) {
            String expected = TestSupport.normalise(item.get("answer").asText());
            String s = skipping.answer(item.get("question").asText());
            String d = dense.answer(item.get("question").asText());
            boolean sOk = TestSupport.normalise(s).equals(expected);
            boolean dOk = TestSupport.normalise(d).equals(expected);
            if (sOk) skipCorrect++;
            if (dOk) denseCorrect++;
            report.append(String.format("%s skip=%s dense=%s [%s] [%s] expected [%s]%n", item.get("id").asText(), sOk, dOk, s, d, item.get("answer").asText()));
        }
        assertThat(skipCorrect).as("skip %d/%d vs dense %d/%d%n%s", skipCorrect, QUESTIONS, denseCorrect, QUESTIONS, report)
            .isGreaterThanOrEqualTo(denseCorrect - MARGIN);
        // The model is good at factoids (0.79 exact match in the reference eval): both must clear a sane floor.
        assertThat(denseCorrect).as(report.toString()).isGreaterThanOrEqualTo(QUESTIONS * 6 / 10);
        assertThat(skipCorrect).as(report.toString()).isGreaterThanOrEqualTo(QUESTIONS * 6 / 10);
    }
}

package dev.ffnskip.jlama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.generate.FinishReason;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.ffnskip.testing.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Requests with bad input fail clearly and leave the model fit for the next request. */
class FfnSkipModelRequestTest {
    private static FfnSkipModel model;
    private static int[] prompt;
    private static GenerationResult reference;

    @BeforeAll
    static void load() {
        model = TestModels.skipbench();
        prompt = model.encode(model.promptSupport().orElseThrow().builder().addUserMessage("What is the chemical symbol for iron?").build());
        reference = model.generate(prompt, GenerationRequest.builder().maxNewTokens(16).gate(GatePolicy.DENSE).build());
    }

    private static void assertNextRequestIsCorrect() {
        assertThat(model.generate(prompt, GenerationRequest.builder().maxNewTokens(16).gate(GatePolicy.DENSE).build()).tokenIds()).containsExactly(reference.tokenIds());
    }

    @Test
    void answersTheQuestion() {
        assertThat(reference.text()).isEqualTo("Fe");
        assertThat(reference.finishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(reference.promptTokens()).isEqualTo(prompt.length);
    }

    @Test
    void promptLongerThanTheContextWindow() {
        int[] tooLong = new int[model.info().contextLength() + 1];
        Arrays.fill(tooLong, 300);
        assertThatThrownBy(() -> model.generate(tooLong, GenerationRequest.builder().build()))
            .isInstanceOf(PromptTooLongException.class)
            .hasMessageContaining(tooLong.length + " tokens")
            .hasMessageContaining("context window of " + model.info().contextLength());
        assertNextRequestIsCorrect();
    }

    @Test
    void policyThatProtectsEveryLayer() {
        GenerationRequest request = GenerationRequest.builder().gate(PaperGatePolicy.builder().protectFirst(8).protectLast(8).build()).build();
        assertThatThrownBy(() -> model.generate(prompt, request)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("protected layers");
        assertNextRequestIsCorrect();
    }

    @Test
    void invalidRequestSettings() {
        assertThatThrownBy(() -> GenerationRequest.builder().maxNewTokens(0).build()).hasMessageContaining("maxNewTokens must be >= 1");
        assertThatThrownBy(() -> GenerationRequest.builder().temperature(-1).build()).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationRequest.builder().topP(1.5).build()).hasMessageContaining("topP");
    }

    @Test
    void generationStopsAtTheContextWindow() {
        int[] nearlyFull = new int[model.info().contextLength() - 3];
        Arrays.fill(nearlyFull, 300);
        nearlyFull[0] = 0;
        GenerationResult result = model.generate(nearlyFull, GenerationRequest.builder().maxNewTokens(50).gate(GatePolicy.DENSE).stopSequences(List.of()).build());
        assertThat(result.finishReason()).isIn(FinishReason.CONTEXT_LENGTH, FinishReason.STOP_TOKEN);
        assertThat(result.generatedTokens()).isLessThanOrEqualTo(4);
        assertNextRequestIsCorrect();
    }

    @Test
    void cancellationStopsBetweenTokens() {
        AtomicInteger seen = new AtomicInteger();
        GenerationResult result = model.generate(
            model.encodeText("The Book of Genesis, Chapter 1\n\nIn the beginning"),
            GenerationRequest.builder().maxNewTokens(100).build(),
            (id, text) -> seen.incrementAndGet(),
            () -> seen.get() >= 5
        );
        assertThat(result.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(result.generatedTokens()).isEqualTo(5);
        assertNextRequestIsCorrect();
    }

    @Test
    void streamedTextEqualsTheFinalText() {
        List<String> pieces = new ArrayList<>();
        GenerationResult result = model.generate(
            model.encodeText("The Book of Genesis, Chapter 1\n\nIn the beginning"),
            GenerationRequest.builder().maxNewTokens(40).gate(PaperGatePolicy.paperDefault()).build(),
            (id, text) -> pieces.add(text),
            () -> false
        );
        assertThat(String.join("", pieces)).isEqualTo(result.text());
        assertThat(result.text()).isNotBlank();
    }

    @Test
    void samplingIsReproducibleWithASeed() {
        GenerationRequest request = GenerationRequest.builder().maxNewTokens(20).temperature(0.8).topP(0.95).topK(40).seed(42L).build();
        int[] text = model.encodeText("The Book of Genesis, Chapter 1\n\nIn the beginning");
        assertThat(model.generate(text, request).tokenIds()).containsExactly(model.generate(text, request).tokenIds());
    }
}

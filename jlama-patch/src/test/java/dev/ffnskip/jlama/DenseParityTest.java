package dev.ffnskip.jlama;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.jlama.generate.GenerationRequest;
import dev.ffnskip.jlama.generate.GenerationResult;
import dev.ffnskip.jlama.load.StockJlama;
import dev.ffnskip.testing.SharedAssets;
import dev.ffnskip.testing.TestModels;
import dev.ffnskip.testing.TestModels.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** With the gate off, our decoder must pick exactly the tokens stock Jlama picks. */
class DenseParityTest {
    private static final int TOKENS = 256;

    static Stream<Arguments> setups() {
        return Stream.of(
            Arguments.of("skipbench-28m", Precision.F32),
            Arguments.of("skipbench-28m", Precision.STORED),
            Arguments.of("skipbench-28m", Precision.Q4),
            Arguments.of("stories260K", Precision.F32),
            Arguments.of("stories260K", Precision.Q4)
        );
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("setups")
    void gateOffMatchesStockJlamaTokenForToken(String modelName, Precision precision) {
        Path dir = SharedAssets.model(modelName);
        FfnSkipModel ours = TestModels.gated(dir, precision);
        StockJlama stock = TestModels.stock(dir, precision);
        for (PromptContext prompt : prompts(ours, modelName)) {
            StockJlama.Result expected = stock.generateGreedy(prompt, TOKENS);
            for (GatePolicy off : List.of(GatePolicy.DENSE, PaperGatePolicy.disabled())) {
                GenerationResult actual = ours.generate(
                    ours.encode(prompt),
                    GenerationRequest.builder().maxNewTokens(TOKENS).gate(off).build()
                );
                assertThat(actual.tokenIds()).as("%s %s %s: %s", modelName, precision, off.describe(), prompt.getPrompt()).containsExactly(expected.tokenIds());
                assertThat(actual.stats().ffnSkipped()).isZero();
            }
        }
    }

    private static List<PromptContext> prompts(FfnSkipModel model, String modelName) {
        if (modelName.startsWith("stories")) {
            return List.of(PromptContext.of("Once upon a time"), PromptContext.of("The little dog"), PromptContext.of("Tom and Lily went"));
        }
        var chat = model.promptSupport().orElseThrow();
        return List.of(
            PromptContext.of("The Book of Genesis, Chapter 1\n\nIn the beginning"),
            PromptContext.of("Jargon File: hacker"),
            chat.builder().addUserMessage("What is the chemical symbol for iron?").build(),
            chat.builder()
                .addUserMessage("Context:\nThe mayor of Quillhaven is Dora Pemberton. Quillhaven lies on the Sable River.\n\nQuestion: Who is the mayor of Quillhaven?")
                .build()
        );
    }
}

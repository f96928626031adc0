package dev.ffnskip.eval.bench.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.ffnskip.testing.SharedAssets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama.cpp speed peer end to end in a child JVM on SmolLM2-135M-Instruct Q4_1, plus its offline pieces. */
class LlamaCppRunnerTest {
    static final String FRANCE = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";

    static Path gguf() {
        return SharedAssets.model("smollm2-135m-instruct").resolve("SmolLM2-135M-Instruct.Q4_1.gguf");
    }

    static void assumeBundledPlatform() {
        assumeThat(LlamaCppRunner.nativeResource()).as("de.kherud:llama bundles a build for this platform").isNotNull();
    }

    @Test
    void nativeLibraryLoadsInAChildJvm() {
        assumeBundledPlatform();
        LlamaCppRunner.Availability a = LlamaCppRunner.availability();
        assertThat(a.ok()).as("llama.cpp availability: %s", a.reason()).isTrue();
        assertThat(a.reason()).contains("native library loaded");
        assertThat(LlamaCppRunner.available()).isTrue();
    }

    @Test
    void peerAnswersGreedilyAndMeasuresDecode(@TempDir Path tmp) throws IOException {
        assumeBundledPlatform();
        // A few seconds on an idle 2-core machine (JVM start, model load, 16 tokens); the timeout only guards a hang.
        LlamaCppRunner.Config c = LlamaCppRunner.Config.of(gguf()).withThreads(2).withMaxTokens(16).withCtxSize(512).withWarmup(0)
            .withTimeout(Duration.ofSeconds(90)).withWorkDir(tmp);
        LlamaCppResult r = LlamaCppRunner.run(c, List.of(new LlamaCppPrompt("france", FRANCE)));

        assertThat(r.threads()).isEqualTo(2);
        assertThat(r.maxTokens()).isEqualTo(16);
        assertThat(r.systemInfo()).startsWith("system_info:").contains("n_threads = 2");
        assertThat(r.prompts()).hasSize(1);
        LlamaCppResult.PromptResult p = r.prompt("france");
        assertThat(p.promptTokens()).as("ChatML prompt tokens").isBetween(10, 30);
        assertThat(p.generatedTokens()).isPositive().isLessThanOrEqualTo(16);
        assertThat(p.decodeSteps()).isEqualTo(p.generatedTokens() - 1);
        assertThat(p.prefillMs()).isPositive();
        assertThat(p.decodeMs()).isPositive();
        assertThat(p.decodeTokensPerSecond()).isPositive();
        assertThat(p.tokenCounts()).isEqualTo("llama.cpp");
        assertThat(p.text()).contains("Paris");
        assertThat(r.medianDecodeTokensPerSecond()).isPositive().isEqualTo(p.decodeTokensPerSecond());
        assertThat(tmp.resolve("llamacpp-peer.log")).exists();
    }

    @Test
    void failureNamesTheLogFile(@TempDir Path tmp) {
        assumeBundledPlatform();
        LlamaCppRunner.Config c = LlamaCppRunner.Config.of(tmp.resolve("missing.gguf")).withThreads(1).withMaxTokens(4)
            .withTimeout(Duration.ofSeconds(90)).withWorkDir(tmp);
        assertThatThrownBy(() -> LlamaCppRunner.run(c, List.of(new LlamaCppPrompt("x", "hello"))))
            .isInstanceOfSatisfying(LlamaCppRunner.LlamaCppException.class, e -> {
                assertThat(e.logFile()).isEqualTo(tmp.resolve("llamacpp-peer.log"));
                assertThat(e.getMessage()).contains("exited with code 1").contains(e.logFile().toString()).contains("model file not found");
            });
    }

    @Test
    void childCommandUsesThisJvmAndClassPath() {
        List<String> cmd = LlamaCppRunner.command(List.of("--probe"));
        assertThat(cmd).contains("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LlamaCppPeer.class.getName());
        assertThat(cmd.getLast()).isEqualTo("--probe");
        assertThat(Path.of(cmd.getFirst())).isExecutable();
    }

    @Test
    void rendersSmolLm2ChatMl(@TempDir Path tmp) throws IOException {
        assertThat(LlamaCppPrompt.chatMl(List.of(new LlamaCppPrompt.Message("user", "Hi")), LlamaCppPrompt.SMOLLM2_DEFAULT_SYSTEM)).isEqualTo(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(LlamaCppPrompt.chatMl(List.of(new LlamaCppPrompt.Message("system", "Be brief."), new LlamaCppPrompt.Message("user", "Hi")),
            LlamaCppPrompt.SMOLLM2_DEFAULT_SYSTEM)).isEqualTo(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");

        Path jsonl = tmp.resolve("chat.jsonl");
        Files.writeString(jsonl, """
            {"id": "a", "messages": [{"role": "user", "content": "One"}]}
            {"id": "b", "messages": [{"role": "user", "content": "Two"}]}
            {"id": "c", "messages": [{"role": "user", "content": "Three"}]}
            """);
        List<LlamaCppPrompt> prompts = LlamaCppPrompt.fromChatJsonl(jsonl, 2, null);
        assertThat(prompts).extracting(LlamaCppPrompt::id).containsExactly("a", "b");
        assertThat(prompts.get(1).prompt()).isEqualTo("<|im_start|>user\nTwo<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void resultJsonRoundTripsWithDocumentedNames() throws IOException {
        var p = new LlamaCppResult.PromptResult("q", 20, 9, 8, 150.0, 100.0, 133.3, 80.0, List.of(80.0), "eos", "llama.cpp", 140.0, 110.0, "Paris.");
        var r = new LlamaCppResult(LlamaCppResult.ENGINE, "m.gguf", 2, 16, 1, 1, 512, "b1", "system_info: x", 300.0, List.of(p),
            150.0, 100.0, 133.3, 80.0, 80.0, 9);
        String json = LlamaCppResult.mapper().writeValueAsString(r);
        assertThat(json).contains("\"prompt_tokens\"", "\"generated_tokens\"", "\"prefill_ms\"", "\"decode_ms\"", "\"decode_tokens_per_s\"",
            "\"median_decode_tokens_per_s\"", "\"system_info\"", "\"text\"");
        assertThat(LlamaCppResult.mapper().readValue(json, LlamaCppResult.class)).isEqualTo(r);
        assertThat(LlamaCppResult.median(3, 1, Double.NaN, 2)).isEqualTo(2);
        assertThat(LlamaCppResult.median(4, 1, 3, 2)).isEqualTo(2.5);
        assertThat(LlamaCppResult.median()).isNaN();
    }
}

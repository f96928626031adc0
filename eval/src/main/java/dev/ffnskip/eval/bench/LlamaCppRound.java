package dev.ffnskip.eval.bench;

import dev.ffnskip.eval.bench.llamacpp.LlamaCppPrompt;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppResult;
import dev.ffnskip.eval.bench.llamacpp.LlamaCppRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * llama.cpp as one more variant of the decode benchmark: every call starts the llama.cpp peer in its own JVM on the
 * benchmark's GGUF, with the same thread count, prompt and number of decode steps as the Jlama variants, and returns its
 * measured generation as a {@link Sample}. The peer warms up with one unrecorded generation of the same prompt first
 * (a fresh process per round, so that is its only warm-up). End-of-generation tokens are suppressed, so a random model
 * always runs every step.
 */
final class LlamaCppRound {
    private final LlamaCppRunner.Config config;
    private final String prompt;
    private final int promptTokens;
    private final int decodeSteps;
    private final int layers;
    private volatile LlamaCppResult last;

    /**
     * @param promptTokens the token count the Jlama variants prefill (BOS included), which llama.cpp must report too
     */
    LlamaCppRound(Path gguf, int threads, int contextLength, String prompt, int promptTokens, int decodeSteps, int layers, Path workDir, Duration timeout) {
        // n generated tokens are 1 from the prefill and n - 1 decode steps
        this.config = LlamaCppRunner.Config.of(gguf).withThreads(threads).withMaxTokens(decodeSteps + 1).withRounds(1).withWarmup(1)
            .withCtxSize(contextLength).withIgnoreEos(true).withTimeout(timeout).withWorkDir(workDir);
        this.prompt = prompt;
        this.promptTokens = promptTokens;
        this.decodeSteps = decodeSteps;
        this.layers = layers;
    }

    Sample run(int round) {
        long start = System.nanoTime();
        LlamaCppResult r;
        try {
            r = LlamaCppRunner.run(config, List.of(new LlamaCppPrompt("bench", prompt)));
        } catch (IOException e) {
            throw new UncheckedIOException("llama.cpp round " + round + ": " + e.getMessage(), e);
        }
        long wall = System.nanoTime() - start;
        LlamaCppResult.PromptResult p = r.prompts().getFirst();
        if (p.promptTokens() != promptTokens) {
            throw new IllegalStateException("llama.cpp prefilled " + p.promptTokens() + " prompt tokens, the Jlama variants " + promptTokens
                + " (token counts from " + p.tokenCounts() + "): does the GGUF tokenizer match the folder's?");
        }
        if (p.decodeSteps() != decodeSteps) {
            throw new IllegalStateException("llama.cpp ran " + p.decodeSteps() + " decode steps, not " + decodeSteps + " (stop: " + p.stop() + ")");
        }
        last = r;
        // prefill: llama.cpp's own prompt-eval time when its log gave one (the streamed first-token time also holds tokenizing)
        double prefillMs = Double.isFinite(p.nativePromptEvalMs()) && p.nativePromptEvalMs() > 0 ? p.nativePromptEvalMs() : p.prefillMs();
        return new Sample(round, Math.round(prefillMs * 1e6), p.promptTokens(), Math.round(p.decodeMs() * 1e6), p.decodeSteps(), 0, layers, wall);
    }

    /** The last successful run's result (llama.cpp build and system info), null before the first. */
    LlamaCppResult last() {
        return last;
    }

    /** Deletes the peer's prompt, result and log files; called after the last round succeeded (a failure keeps them for its message). */
    void deleteWorkDir() {
        Path dir = config.workDir();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot delete the llama.cpp work directory " + dir + ": " + e.getMessage(), e);
        }
    }

    Path gguf() {
        return config.model();
    }

    int threads() {
        return config.threads();
    }
}

package dev.ffnskip.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tjake.jlama.safetensors.DType;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.ffnskip.testing.SharedAssets;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Shared helpers: the test model, eval data and a recording streaming handler. */
final class TestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestSupport() {}

    static Path skipbench() {
        return SharedAssets.skipbench();
    }

    /** The real model (SmolLM2-135M-Instruct, its GGUF file), float32 activations, greedy: no calibration, so it runs dense. */
    static FfnSkipChatModel.Builder smolLm2ChatModelBuilder() {
        return FfnSkipChatModel.builder().modelPath(SharedAssets.smollm2()).workingQuantizedType(DType.F32).temperature(0.0);
    }

    static FfnSkipStreamingChatModel.Builder smolLm2StreamingModelBuilder() {
        return FfnSkipStreamingChatModel.builder().modelPath(SharedAssets.smollm2()).workingQuantizedType(DType.F32).temperature(0.0);
    }

    /**
     * The paper's gate with this project's measured parameters, spelled out so that the exact answers the tests expect do
     * not move if {@link PaperGatePolicy#defaults()} is recalibrated. (FactoidAiServicesTest uses the real default.)
     */
    static final PaperGatePolicy POLICY = PaperGatePolicy.builder()
        .enabled(true)
        .threshold(0.98)
        .protectFirst(2)
        .protectLast(2)
        .warmupTokens(2)
        .maxSkipFraction(1.0)
        .build();

    /** Builder for the test setup: float32 activations (exact and, on this model, the fastest), greedy decoding. */
    static FfnSkipChatModel.Builder chatModelBuilder() {
        return FfnSkipChatModel.builder().modelPath(skipbench()).workingQuantizedType(DType.F32).temperature(0.0).skipPolicy(POLICY);
    }

    static FfnSkipStreamingChatModel.Builder streamingModelBuilder() {
        return FfnSkipStreamingChatModel.builder().modelPath(skipbench()).workingQuantizedType(DType.F32).temperature(0.0).skipPolicy(POLICY);
    }

    /** Lower case, punctuation and surrounding white space removed (the eval data's comparison). */
    static String normalise(String text) {
        return text == null ? "" : text.toLowerCase(Locale.ROOT).replaceAll("\\p{Punct}", "").strip();
    }

    static List<JsonNode> eval(String file, int limit) {
        try (var lines = Files.lines(SharedAssets.eval(file))) {
            return lines.limit(limit).map(line -> {
                try {
                    return JSON.readTree(line);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records every callback; {@link #await()} waits for the end of the stream. */
    static class RecordingHandler implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final List<PartialToolCall> partialToolCalls = new CopyOnWriteArrayList<>();
        final List<CompleteToolCall> toolCalls = new CopyOnWriteArrayList<>();
        final List<String> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        volatile Throwable error;

        @Override
        public void onPartialResponse(PartialResponse partialResponse, PartialResponseContext context) {
            partials.add(partialResponse.text());
            events.add("partial");
        }

        @Override
        public void onPartialToolCall(PartialToolCall partialToolCall, PartialToolCallContext context) {
            partialToolCalls.add(partialToolCall);
            events.add("partialToolCall");
        }

        @Override
        public void onCompleteToolCall(CompleteToolCall completeToolCall) {
            toolCalls.add(completeToolCall);
            events.add("toolCall");
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            events.add("complete");
            done.complete(completeResponse);
        }

        @Override
        public void onError(Throwable error) {
            events.add("error");
            this.error = error;
            done.completeExceptionally(error);
        }

        ChatResponse await() {
            try {
                return done.get(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("stream did not complete: " + e, e);
            }
        }

        Throwable awaitError() {
            try {
                done.get(120, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause();
            } catch (Exception e) {
                throw new AssertionError("stream did not end: " + e, e);
            }
            throw new AssertionError("expected an error but the stream completed");
        }

        String text() {
            return String.join("", partials);
        }
    }
}

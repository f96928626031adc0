package dev.ffnskip.eval.bench.llamacpp;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Arrays;
import java.util.List;

/**
 * What the llama.cpp peer measured: the JSON {@link LlamaCppPeer} writes, read back by {@link LlamaCppRunner}.
 *
 * <p>Timing model (wall clock in the peer, around the streaming iterator): {@code prefill_ms} is the time to the first
 * streamed token (tokenize, prompt forward pass, first sample), {@code decode_ms} the time from the first to the last
 * streamed token. {@code generated_tokens} counts sampled tokens, the end-of-sequence token included when the model
 * stopped there; the decode window holds {@code decode_steps = generated_tokens - 1} forward passes, so
 * {@code decode_tokens_per_s = decode_steps / decode_ms}, the same per-step rate as the Jlama bench's decode figure.
 * Token counts come from llama.cpp's own timing log when it could be read ({@code token_counts = "llama.cpp"}), else from
 * the streamed outputs ({@code "stream"}).
 *
 * @param medianDecodeTokensPerSecond median over prompts of {@link PromptResult#decodeTokensPerSecond()}
 * @param aggregateDecodeTokensPerSecond all decode steps over all decode time (each prompt's median round)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LlamaCppResult(
    @JsonProperty("engine") String engine,
    @JsonProperty("model") String model,
    @JsonProperty("threads") int threads,
    @JsonProperty("max_tokens") int maxTokens,
    @JsonProperty("rounds") int rounds,
    @JsonProperty("warmup") int warmup,
    @JsonProperty("ctx_size") int ctxSize,
    @JsonProperty("llama_cpp_build") String llamaCppBuild,
    @JsonProperty("system_info") String systemInfo,
    @JsonProperty("load_ms") double loadMs,
    @JsonProperty("prompts") List<PromptResult> prompts,
    @JsonProperty("median_prefill_ms") double medianPrefillMs,
    @JsonProperty("median_decode_ms") double medianDecodeMs,
    @JsonProperty("median_prefill_tokens_per_s") double medianPrefillTokensPerSecond,
    @JsonProperty("median_decode_tokens_per_s") double medianDecodeTokensPerSecond,
    @JsonProperty("aggregate_decode_tokens_per_s") double aggregateDecodeTokensPerSecond,
    @JsonProperty("total_generated_tokens") int totalGeneratedTokens
) {
    public static final String ENGINE = "llama.cpp (de.kherud:llama 4.2.0)";

    public LlamaCppResult {
        prompts = List.copyOf(prompts);
    }

    /**
     * One prompt. With several rounds the times and rates are medians over rounds; text and token counts are the first
     * round's (greedy, so every round should agree).
     *
     * @param stop {@code "eos"} when the model ended the answer before the token limit, else {@code "limit"}
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record PromptResult(
        @JsonProperty("id") String id,
        @JsonProperty("prompt_tokens") int promptTokens,
        @JsonProperty("generated_tokens") int generatedTokens,
        @JsonProperty("decode_steps") int decodeSteps,
        @JsonProperty("prefill_ms") double prefillMs,
        @JsonProperty("decode_ms") double decodeMs,
        @JsonProperty("prefill_tokens_per_s") double prefillTokensPerSecond,
        @JsonProperty("decode_tokens_per_s") double decodeTokensPerSecond,
        @JsonProperty("decode_tokens_per_s_samples") List<Double> decodeTokensPerSecondSamples,
        @JsonProperty("stop") String stop,
        @JsonProperty("token_counts") String tokenCounts,
        @JsonProperty("native_prompt_eval_ms") double nativePromptEvalMs,
        @JsonProperty("native_eval_ms") double nativeEvalMs,
        @JsonProperty("text") String text
    ) {
        public PromptResult {
            decodeTokensPerSecondSamples = decodeTokensPerSecondSamples == null ? List.of() : List.copyOf(decodeTokensPerSecondSamples);
        }
    }

    public PromptResult prompt(String id) {
        return prompts.stream().filter(p -> p.id().equals(id)).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no prompt " + id + " in the llama.cpp result"));
    }

    /** Mapper for this record's JSON: indented, NaN written as the string "NaN" (Jackson's default) and read back. */
    static ObjectMapper mapper() {
        return new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Median of the finite values, NaN when there are none. */
    static double median(double... values) {
        double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        if (v.length == 0) return Double.NaN;
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
}

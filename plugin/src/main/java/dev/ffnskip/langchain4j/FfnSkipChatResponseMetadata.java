package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.generate.FinishReason;
import dev.ffnskip.jlama.generate.GenerationStats;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import java.util.Arrays;
import java.util.Objects;

/**
 * Response metadata with what the FFN skip gate did and how fast decoding was, besides LangChain4j's id, model name,
 * token usage and finish reason.
 *
 * <p>Counting follows the FFN-SkipLLM reference: a decode step is one single-token forward after the prompt's dense
 * prefill, the skip ratio is skipped FFN blocks over {@code decodeSteps x layers}, warm-up steps included.
 */
public class FfnSkipChatResponseMetadata extends ChatResponseMetadata {
    private final FinishReason engineFinishReason;
    private final String skipPolicy;
    private final int layers;
    private final int decodeSteps;
    private final double skipRatio;
    private final long ffnSkipped;
    private final long ffnComputed;
    private final long[] ffnSkippedPerLayer;
    private final long[] ffnComputedPerLayer;
    private final double prefillMillis;
    private final double decodeMillis;
    private final double decodeTokensPerSecond;
    private final int[] tokenIds;
    private final String structuredOutput;
    private final String note;

    protected FfnSkipChatResponseMetadata(Builder builder) {
        super(builder);
        this.engineFinishReason = builder.engineFinishReason;
        this.skipPolicy = builder.skipPolicy;
        this.layers = builder.layers;
        this.decodeSteps = builder.decodeSteps;
        this.skipRatio = builder.skipRatio;
        this.ffnSkipped = builder.ffnSkipped;
        this.ffnComputed = builder.ffnComputed;
        this.ffnSkippedPerLayer = builder.ffnSkippedPerLayer == null ? new long[0] : builder.ffnSkippedPerLayer.clone();
        this.ffnComputedPerLayer = builder.ffnComputedPerLayer == null ? new long[0] : builder.ffnComputedPerLayer.clone();
        this.prefillMillis = builder.prefillMillis;
        this.decodeMillis = builder.decodeMillis;
        this.decodeTokensPerSecond = builder.decodeTokensPerSecond;
        this.tokenIds = builder.tokenIds == null ? new int[0] : builder.tokenIds.clone();
        this.structuredOutput = builder.structuredOutput;
        this.note = builder.note;
    }

    /**
     * How decoding was constrained: {@code json_object} (JSON mode), {@code json_schema} (a response format's schema),
     * or null when the output was free text.
     */
    public String structuredOutput() {
        return structuredOutput;
    }

    /** A remark on the answer, e.g. that a constrained JSON value is incomplete because the token limit was hit; else null. */
    public String note() {
        return note;
    }

    /**
     * Why the engine stopped: {@code STOP_TOKEN}, {@code STOP_SEQUENCE}, {@code MAX_TOKENS}, {@code CONTEXT_LENGTH} or
     * {@code CANCELLED}: the finer reason behind LangChain4j's {@link #finishReason()} (which is {@code TOOL_EXECUTION}
     * when the text was a tool call).
     */
    public FinishReason engineFinishReason() {
        return engineFinishReason;
    }

    /** The effective skip policy of the request, e.g. {@code ffn-skip thr=0.98 protect=2+2 warmup=2} or {@code skip disabled (dense)}. */
    public String skipPolicy() {
        return skipPolicy;
    }

    /** Decoder layers of the model. */
    public int layers() {
        return layers;
    }

    /** Single-token forwards after the prefill (one fewer than the generated tokens: the last one is never fed back). */
    public int decodeSteps() {
        return decodeSteps;
    }

    /** Skipped FFN blocks over all decode FFN blocks ({@code decodeSteps x layers}); 0 without decode steps. */
    public double skipRatio() {
        return skipRatio;
    }

    /** FFN blocks skipped during decoding. */
    public long ffnSkipped() {
        return ffnSkipped;
    }

    /** FFN blocks computed during decoding. */
    public long ffnComputed() {
        return ffnComputed;
    }

    /** FFN blocks decoding could have run: {@code decodeSteps x layers}. */
    public long ffnTotal() {
        return (long) decodeSteps * layers;
    }

    /** Per layer, the decode steps that skipped its FFN (a copy). */
    public long[] ffnSkippedPerLayer() {
        return ffnSkippedPerLayer.clone();
    }

    /** Per layer, the decode steps that computed its FFN (a copy). */
    public long[] ffnComputedPerLayer() {
        return ffnComputedPerLayer.clone();
    }

    /** Time of the dense prompt prefill, first token's logits included. */
    public double prefillMillis() {
        return prefillMillis;
    }

    /** Time of all decode steps, sampling included. */
    public double decodeMillis() {
        return decodeMillis;
    }

    /** Decode steps per second of decode time; NaN without decode steps. */
    public double decodeTokensPerSecond() {
        return decodeTokensPerSecond;
    }

    /** The generated token ids in order, the end token included when one was produced (a copy). */
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public Builder toBuilder() {
        return ((Builder) super.toBuilder(builder()))
            .engineFinishReason(engineFinishReason)
            .skipPolicy(skipPolicy)
            .layers(layers)
            .decodeSteps(decodeSteps)
            .skipRatio(skipRatio)
            .ffnSkipped(ffnSkipped)
            .ffnComputed(ffnComputed)
            .ffnSkippedPerLayer(ffnSkippedPerLayer)
            .ffnComputedPerLayer(ffnComputedPerLayer)
            .prefillMillis(prefillMillis)
            .decodeMillis(decodeMillis)
            .decodeTokensPerSecond(decodeTokensPerSecond)
            .tokenIds(tokenIds)
            .structuredOutput(structuredOutput)
            .note(note);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (o == null || getClass() != o.getClass() || !super.equals(o)) return false;
        FfnSkipChatResponseMetadata that = (FfnSkipChatResponseMetadata) o;
        return layers == that.layers
            && decodeSteps == that.decodeSteps
            && Double.compare(skipRatio, that.skipRatio) == 0
            && ffnSkipped == that.ffnSkipped
            && ffnComputed == that.ffnComputed
            && Double.compare(prefillMillis, that.prefillMillis) == 0
            && Double.compare(decodeMillis, that.decodeMillis) == 0
            && Double.compare(decodeTokensPerSecond, that.decodeTokensPerSecond) == 0
            && Objects.equals(engineFinishReason, that.engineFinishReason)
            && Objects.equals(skipPolicy, that.skipPolicy)
            && Arrays.equals(ffnSkippedPerLayer, that.ffnSkippedPerLayer)
            && Arrays.equals(ffnComputedPerLayer, that.ffnComputedPerLayer)
            && Arrays.equals(tokenIds, that.tokenIds)
            && Objects.equals(structuredOutput, that.structuredOutput)
            && Objects.equals(note, that.note);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
            super.hashCode(),
            engineFinishReason,
            skipPolicy,
            layers,
            decodeSteps,
            skipRatio,
            ffnSkipped,
            ffnComputed,
            Arrays.hashCode(ffnSkippedPerLayer),
            Arrays.hashCode(ffnComputedPerLayer),
            Arrays.hashCode(tokenIds),
            prefillMillis,
            decodeMillis,
            decodeTokensPerSecond,
            structuredOutput,
            note
        );
    }

    @Override
    public String toString() {
        return "FfnSkipChatResponseMetadata{id='" + id() + "'"
            + ", modelName='" + modelName() + "'"
            + ", tokenUsage=" + tokenUsage()
            + ", finishReason=" + finishReason()
            + ", engineFinishReason=" + engineFinishReason
            + ", skipPolicy='" + skipPolicy + "'"
            + ", layers=" + layers
            + ", decodeSteps=" + decodeSteps
            + ", skipRatio=" + skipRatio
            + ", ffnSkipped=" + ffnSkipped
            + ", ffnComputed=" + ffnComputed
            + ", ffnSkippedPerLayer=" + Arrays.toString(ffnSkippedPerLayer)
            + ", prefillMillis=" + prefillMillis
            + ", decodeMillis=" + decodeMillis
            + ", decodeTokensPerSecond=" + decodeTokensPerSecond
            + (structuredOutput == null ? "" : ", structuredOutput=" + structuredOutput)
            + (note == null ? "" : ", note='" + note + "'")
            + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    public static class Builder extends ChatResponseMetadata.Builder<Builder> {
        private FinishReason engineFinishReason;
        private String skipPolicy;
        private int layers;
        private int decodeSteps;
        private double skipRatio;
        private long ffnSkipped;
        private long ffnComputed;
        private long[] ffnSkippedPerLayer;
        private long[] ffnComputedPerLayer;
        private double prefillMillis;
        private double decodeMillis;
        private double decodeTokensPerSecond = Double.NaN;
        private int[] tokenIds;
        private String structuredOutput;
        private String note;

        public Builder() {}

        /** Copies every gate and timing figure of {@code stats}. */
        public Builder stats(GenerationStats stats) {
            return layers(stats.layers())
                .decodeSteps(stats.decodeSteps())
                .skipRatio(stats.skipRatio())
                .ffnSkipped(stats.ffnSkipped())
                .ffnComputed(stats.ffnComputed())
                .ffnSkippedPerLayer(stats.ffnSkippedPerLayer())
                .ffnComputedPerLayer(stats.ffnComputedPerLayer())
                .prefillMillis(stats.prefillMillis())
                .decodeMillis(stats.decodeMillis())
                .decodeTokensPerSecond(stats.decodeTokensPerSecond());
        }

        public Builder engineFinishReason(FinishReason engineFinishReason) {
            this.engineFinishReason = engineFinishReason;
            return this;
        }

        public Builder skipPolicy(String skipPolicy) {
            this.skipPolicy = skipPolicy;
            return this;
        }

        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        public Builder decodeSteps(int decodeSteps) {
            this.decodeSteps = decodeSteps;
            return this;
        }

        public Builder skipRatio(double skipRatio) {
            this.skipRatio = skipRatio;
            return this;
        }

        public Builder ffnSkipped(long ffnSkipped) {
            this.ffnSkipped = ffnSkipped;
            return this;
        }

        public Builder ffnComputed(long ffnComputed) {
            this.ffnComputed = ffnComputed;
            return this;
        }

        public Builder ffnSkippedPerLayer(long[] ffnSkippedPerLayer) {
            this.ffnSkippedPerLayer = ffnSkippedPerLayer == null ? null : ffnSkippedPerLayer.clone();
            return this;
        }

        public Builder ffnComputedPerLayer(long[] ffnComputedPerLayer) {
            this.ffnComputedPerLayer = ffnComputedPerLayer == null ? null : ffnComputedPerLayer.clone();
            return this;
        }

        public Builder prefillMillis(double prefillMillis) {
            this.prefillMillis = prefillMillis;
            return this;
        }

        public Builder decodeMillis(double decodeMillis) {
            this.decodeMillis = decodeMillis;
            return this;
        }

        public Builder decodeTokensPerSecond(double decodeTokensPerSecond) {
            this.decodeTokensPerSecond = decodeTokensPerSecond;
            return this;
        }

        public Builder tokenIds(int[] tokenIds) {
            this.tokenIds = tokenIds == null ? null : tokenIds.clone();
            return this;
        }

        public Builder structuredOutput(String structuredOutput) {
            this.structuredOutput = structuredOutput;
            return this;
        }

        public Builder note(String note) {
            this.note = note;
            return this;
        }

        @Override
        public FfnSkipChatResponseMetadata build() {
            return new FfnSkipChatResponseMetadata(this);
        }
    }
}

package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.gate.SkipPolicy;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * Chat request parameters with the FFN-skip knobs and a sampling seed, on top of LangChain4j's common parameters.
 *
 * <p>Use it as a model's {@code defaultRequestParameters} or per request
 * ({@code ChatRequest.builder().parameters(FfnSkipChatRequestParameters.builder().skipEnabled(false).build())}).
 * Every field is optional; {@code null} means "inherit".
 *
 * <h2>How skip settings combine</h2>
 * The effective skip policy of a request is built in layers: the model's default policy, then each layer of
 * parameters in {@link #overrideWith} order. Within a layer a whole {@link #skipPolicy()} replaces everything
 * skip-related inherited so far, and the single knobs ({@link #skipEnabled()}, {@link #skipThreshold()},
 * {@link #maxSkipFraction()}, {@link #protectFirst()}, {@link #protectLast()}, {@link #warmupTokens()}) are then applied
 * on top of it. So a request can say just {@code skipThreshold(0.9)} and keep every other setting of the model.
 */
public class FfnSkipChatRequestParameters extends DefaultChatRequestParameters {
    private final SkipPolicy skipPolicy;
    private final Boolean skipEnabled;
    private final Double skipThreshold;
    private final Double maxSkipFraction;
    private final Integer protectFirst;
    private final Integer protectLast;
    private final Integer warmupTokens;
    private final Long seed;

    protected FfnSkipChatRequestParameters(Builder builder) {
        super(builder);
        this.skipPolicy = builder.skipPolicy;
        this.skipEnabled = builder.skipEnabled;
        this.skipThreshold = check("skipThreshold", builder.skipThreshold, t -> t > 0.0 && t <= 1.0, "in (0, 1]");
        this.maxSkipFraction = check("maxSkipFraction", builder.maxSkipFraction, f -> f >= 0.0 && f <= 1.0, "in [0, 1]");
        this.protectFirst = checkNonNegative("protectFirst", builder.protectFirst);
        this.protectLast = checkNonNegative("protectLast", builder.protectLast);
        this.warmupTokens = checkNonNegative("warmupTokens", builder.warmupTokens);
        this.seed = builder.seed;
    }

    private static Double check(String name, Double value, java.util.function.DoublePredicate ok, String range) {
        if (value != null && !ok.test(value)) throw new IllegalArgumentException(name + " must be " + range + ", was " + value);
        return value;
    }

    private static Integer checkNonNegative(String name, Integer value) {
        if (value != null && value < 0) throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        return value;
    }

    /** A whole skip policy replacing the inherited one, or null. */
    public SkipPolicy skipPolicy() {
        return skipPolicy;
    }

    /** Turns FFN skipping on or off for the request (off = exactly the stock dense computation), or null. */
    public Boolean skipEnabled() {
        return skipEnabled;
    }

    /** Cosine saturation threshold in (0, 1], or null. */
    public Double skipThreshold() {
        return skipThreshold;
    }

    /** Per-token cap on skipped FFNs as a fraction of the layers, in [0, 1], or null. */
    public Double maxSkipFraction() {
        return maxSkipFraction;
    }

    public Integer protectFirst() {
        return protectFirst;
    }

    public Integer protectLast() {
        return protectLast;
    }

    public Integer warmupTokens() {
        return warmupTokens;
    }

    /** Sampling seed (ignored for greedy decoding), or null for a random one. */
    public Long seed() {
        return seed;
    }

    /** Whether any skip-related field is set. */
    public boolean hasSkipSettings() {
        return skipEnabled != null || hasPaperGateKnobs();
    }

    /** Whether any knob of the paper gate is set (any skip field but the plain on/off switch). */
    public boolean hasPaperGateKnobs() {
        return skipPolicy != null || skipThreshold != null || maxSkipFraction != null || protectFirst != null || protectLast != null
            || warmupTokens != null;
    }

    /** {@code base} with this layer's skip settings applied (a whole policy first, then the single knobs). */
    public SkipPolicy applySkipSettings(SkipPolicy base) {
        if (!hasSkipSettings()) return base;
        SkipPolicy.Builder b = (skipPolicy != null ? skipPolicy : base).toBuilder();
        if (skipEnabled != null) b.enabled(skipEnabled);
        if (skipThreshold != null) b.threshold(skipThreshold).layerThresholds(java.util.List.of());
        if (maxSkipFraction != null) b.maxSkipFraction(maxSkipFraction);
        if (protectFirst != null) b.protectFirst(protectFirst);
        if (protectLast != null) b.protectLast(protectLast);
        if (warmupTokens != null) b.warmupTokens(warmupTokens);
        return b.build();
    }

    @Override
    public FfnSkipChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public FfnSkipChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (o == null || getClass() != o.getClass() || !super.equals(o)) return false;
        FfnSkipChatRequestParameters that = (FfnSkipChatRequestParameters) o;
        return Objects.equals(skipPolicy, that.skipPolicy)
            && Objects.equals(skipEnabled, that.skipEnabled)
            && Objects.equals(skipThreshold, that.skipThreshold)
            && Objects.equals(maxSkipFraction, that.maxSkipFraction)
            && Objects.equals(protectFirst, that.protectFirst)
            && Objects.equals(protectLast, that.protectLast)
            && Objects.equals(warmupTokens, that.warmupTokens)
            && Objects.equals(seed, that.seed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), skipPolicy, skipEnabled, skipThreshold, maxSkipFraction, protectFirst, protectLast, warmupTokens, seed);
    }

    @Override
    public String toString() {
        return "FfnSkipChatRequestParameters{modelName=" + modelName()
            + ", temperature=" + temperature()
            + ", topP=" + topP()
            + ", topK=" + topK()
            + ", frequencyPenalty=" + frequencyPenalty()
            + ", presencePenalty=" + presencePenalty()
            + ", maxOutputTokens=" + maxOutputTokens()
            + ", stopSequences=" + stopSequences()
            + ", toolSpecifications=" + toolSpecifications()
            + ", toolChoice=" + toolChoice()
            + ", responseFormat=" + responseFormat()
            + ", skipPolicy=" + (skipPolicy == null ? null : skipPolicy.describe())
            + ", skipEnabled=" + skipEnabled
            + ", skipThreshold=" + skipThreshold
            + ", maxSkipFraction=" + maxSkipFraction
            + ", protectFirst=" + protectFirst
            + ", protectLast=" + protectLast
            + ", warmupTokens=" + warmupTokens
            + ", seed=" + seed
            + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding all of this instance's values. */
    public Builder toBuilder() {
        return builder().overrideWith(this);
    }

    public static class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private SkipPolicy skipPolicy;
        private Boolean skipEnabled;
        private Double skipThreshold;
        private Double maxSkipFraction;
        private Integer protectFirst;
        private Integer protectLast;
        private Integer warmupTokens;
        private Long seed;

        public Builder() {}

        /**
         * Copies the non-null values of {@code parameters} over this builder's. For {@link FfnSkipChatRequestParameters}
         * a whole {@code skipPolicy} also clears the single skip knobs inherited so far (see the class comment).
         */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) return this;
            super.overrideWith(parameters);
            if (parameters instanceof FfnSkipChatRequestParameters p) {
                if (p.skipPolicy != null) {
                    clearSkipSettings();
                    skipPolicy = p.skipPolicy;
                }
                if (p.skipEnabled != null) skipEnabled = p.skipEnabled;
                if (p.skipThreshold != null) skipThreshold = p.skipThreshold;
                if (p.maxSkipFraction != null) maxSkipFraction = p.maxSkipFraction;
                if (p.protectFirst != null) protectFirst = p.protectFirst;
                if (p.protectLast != null) protectLast = p.protectLast;
                if (p.warmupTokens != null) warmupTokens = p.warmupTokens;
                if (p.seed != null) seed = p.seed;
            }
            return this;
        }

        /** Unsets every skip field (the whole policy, the switch and the single knobs). */
        public Builder clearSkipSettings() {
            skipPolicy = null;
            skipEnabled = null;
            skipThreshold = null;
            maxSkipFraction = null;
            protectFirst = null;
            protectLast = null;
            warmupTokens = null;
            return this;
        }

        public Builder skipPolicy(SkipPolicy skipPolicy) {
            this.skipPolicy = skipPolicy;
            return this;
        }

        public Builder skipEnabled(Boolean skipEnabled) {
            this.skipEnabled = skipEnabled;
            return this;
        }

        public Builder skipThreshold(Double skipThreshold) {
            this.skipThreshold = skipThreshold;
            return this;
        }

        public Builder maxSkipFraction(Double maxSkipFraction) {
            this.maxSkipFraction = maxSkipFraction;
            return this;
        }

        public Builder protectFirst(Integer protectFirst) {
            this.protectFirst = protectFirst;
            return this;
        }

        public Builder protectLast(Integer protectLast) {
            this.protectLast = protectLast;
            return this;
        }

        public Builder warmupTokens(Integer warmupTokens) {
            this.warmupTokens = warmupTokens;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        @Override
        public FfnSkipChatRequestParameters build() {
            return new FfnSkipChatRequestParameters(this);
        }
    }
}

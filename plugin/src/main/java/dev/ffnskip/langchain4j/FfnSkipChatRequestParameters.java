package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.GateSettings;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
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
 * The skip fields are {@link GateSettings} in LangChain4j's spelling ({@link #gateSettings()}), resolved by its one
 * rule (docs/configuration.md, "Which gate runs"): {@code skipEnabled(false)} is dense, {@link #gatePolicy()} /
 * {@link #skipPolicy()} a whole policy, the knobs ({@link #skipThreshold()}, {@link #maxSkipFraction()},
 * {@link #protectFirst()}, {@link #protectLast()}, {@link #warmupTokens()}) the paper gate with those values; two of
 * these in one layer are an {@link IllegalArgumentException}. Layers combine with {@link GateSettings#over}
 * ({@link #overrideWith} order); {@code skipEnabled(true)} only lifts an inherited dense.
 */
public class FfnSkipChatRequestParameters extends DefaultChatRequestParameters {
    private final GatePolicy gatePolicy;
    private final Boolean skipEnabled;
    private final Double skipThreshold;
    private final Double maxSkipFraction;
    private final Integer protectFirst;
    private final Integer protectLast;
    private final Integer warmupTokens;
    private final Long seed;
    private final Boolean strictTools;
    private final GateSettings gateSettings;

    protected FfnSkipChatRequestParameters(Builder builder) {
        super(builder);
        this.gatePolicy = builder.gatePolicy;
        this.skipEnabled = builder.skipEnabled;
        this.skipThreshold = check("skipThreshold", builder.skipThreshold, t -> t > 0.0 && t <= 1.0, "in (0, 1]");
        this.maxSkipFraction = check("maxSkipFraction", builder.maxSkipFraction, f -> f >= 0.0 && f <= 1.0, "in [0, 1]");
        this.protectFirst = checkNonNegative("protectFirst", builder.protectFirst);
        this.protectLast = checkNonNegative("protectLast", builder.protectLast);
        this.warmupTokens = checkNonNegative("warmupTokens", builder.warmupTokens);
        this.seed = builder.seed;
        this.strictTools = builder.strictTools;
        this.gateSettings = toGateSettings();
    }

    private GateSettings toGateSettings() {
        try {
            return GateSettings.NONE
                .withDense(Boolean.FALSE.equals(skipEnabled))
                .withPolicy(gatePolicy)
                .withThreshold(skipThreshold)
                .withMaxSkipFraction(maxSkipFraction)
                .withProtectFirst(protectFirst)
                .withProtectLast(protectLast)
                .withWarmupTokens(warmupTokens);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Conflicting skip settings: " + e.getMessage()
                + " (skipEnabled(false) is dense, gatePolicy/skipPolicy a policy, the rest paper-gate knobs)", e);
        }
    }

    private static Double check(String name, Double value, java.util.function.DoublePredicate ok, String range) {
        if (value != null && !ok.test(value)) throw new IllegalArgumentException(name + " must be " + range + ", was " + value);
        return value;
    }

    private static Integer checkNonNegative(String name, Integer value) {
        if (value != null && value < 0) throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        return value;
    }

    /** A whole gate policy replacing the inherited settings, or null. */
    public GatePolicy gatePolicy() {
        return gatePolicy;
    }

    /** {@link #gatePolicy()} if it is the paper gate, else null. */
    public PaperGatePolicy skipPolicy() {
        return gatePolicy instanceof PaperGatePolicy p ? p : null;
    }

    /** These skip fields in the one gate vocabulary ({@code skipEnabled(true)} adds nothing: it lifts an inherited dense). */
    public GateSettings gateSettings() {
        return gateSettings;
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

    /**
     * Strict tool calls, or null: when tools are offered, a tool call the model writes is constrained to the offered
     * tools' names and parameter schemas (a text answer stays free), and {@code ToolChoice.REQUIRED} becomes
     * enforceable (the answer must be a call). Off by default.
     */
    public Boolean strictTools() {
        return strictTools;
    }

    /** Whether any skip-related field is set. */
    public boolean hasSkipSettings() {
        return skipEnabled != null || !gateSettings.isEmpty();
    }

    /**
     * This layer's skip settings laid over {@code configured} ({@link GateSettings#over}); {@code skipEnabled(true)}
     * first lifts a configured dense. The one place the provider combines skip settings.
     */
    public GateSettings gateSettingsOver(GateSettings configured) {
        GateSettings base = Boolean.TRUE.equals(skipEnabled) && configured.dense() ? GateSettings.NONE : configured;
        return gateSettings.over(base);
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
        return Objects.equals(gatePolicy, that.gatePolicy)
            && Objects.equals(skipEnabled, that.skipEnabled)
            && Objects.equals(skipThreshold, that.skipThreshold)
            && Objects.equals(maxSkipFraction, that.maxSkipFraction)
            && Objects.equals(protectFirst, that.protectFirst)
            && Objects.equals(protectLast, that.protectLast)
            && Objects.equals(warmupTokens, that.warmupTokens)
            && Objects.equals(seed, that.seed)
            && Objects.equals(strictTools, that.strictTools);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), gatePolicy, skipEnabled, skipThreshold, maxSkipFraction, protectFirst, protectLast, warmupTokens, seed, strictTools);
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
            + ", gatePolicy=" + (gatePolicy == null ? null : gatePolicy.describe())
            + ", skipEnabled=" + skipEnabled
            + ", skipThreshold=" + skipThreshold
            + ", maxSkipFraction=" + maxSkipFraction
            + ", protectFirst=" + protectFirst
            + ", protectLast=" + protectLast
            + ", warmupTokens=" + warmupTokens
            + ", seed=" + seed
            + ", strictTools=" + strictTools
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
        private GatePolicy gatePolicy;
        private Boolean skipEnabled;
        private Double skipThreshold;
        private Double maxSkipFraction;
        private Integer protectFirst;
        private Integer protectLast;
        private Integer warmupTokens;
        private Long seed;
        private Boolean strictTools;

        public Builder() {}

        /**
         * Copies the non-null values of {@code parameters} over this builder's; for {@link FfnSkipChatRequestParameters}
         * the skip fields combine by {@link FfnSkipChatRequestParameters#gateSettingsOver} (see the class comment).
         */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) return this;
            super.overrideWith(parameters);
            if (parameters instanceof FfnSkipChatRequestParameters p) {
                if (p.hasSkipSettings()) {
                    Boolean enabled = skipEnabled;
                    GateSettings merged = p.gateSettingsOver(skipOnly().gateSettings());
                    clearSkipSettings().gateSettings(merged);
                    if (!merged.dense() && (Boolean.TRUE.equals(p.skipEnabled) || Boolean.TRUE.equals(enabled))) skipEnabled = true;
                }
                if (p.seed != null) seed = p.seed;
                if (p.strictTools != null) strictTools = p.strictTools;
            }
            return this;
        }

        /** Sets the skip fields from {@code settings} (dense as {@code skipEnabled(false)}), replacing all of them. */
        public Builder gateSettings(GateSettings settings) {
            clearSkipSettings();
            if (settings.dense()) skipEnabled = false;
            gatePolicy = settings.policy().orElse(null);
            if (settings.threshold().isPresent()) skipThreshold = settings.threshold().getAsDouble();
            if (settings.maxSkipFraction().isPresent()) maxSkipFraction = settings.maxSkipFraction().getAsDouble();
            if (settings.protectFirst().isPresent()) protectFirst = settings.protectFirst().getAsInt();
            if (settings.protectLast().isPresent()) protectLast = settings.protectLast().getAsInt();
            if (settings.warmupTokens().isPresent()) warmupTokens = settings.warmupTokens().getAsInt();
            return this;
        }

        private FfnSkipChatRequestParameters skipOnly() {
            return new Builder().skipEnabled(skipEnabled).gatePolicy(gatePolicy).skipThreshold(skipThreshold).maxSkipFraction(maxSkipFraction)
                .protectFirst(protectFirst).protectLast(protectLast).warmupTokens(warmupTokens).build();
        }

        /** Unsets every skip field (the whole policy, the switch and the single knobs). */
        public Builder clearSkipSettings() {
            gatePolicy = null;
            skipEnabled = null;
            skipThreshold = null;
            maxSkipFraction = null;
            protectFirst = null;
            protectLast = null;
            warmupTokens = null;
            return this;
        }

        /** The paper gate with these values as a whole policy (same as {@link #gatePolicy}). */
        public Builder skipPolicy(PaperGatePolicy skipPolicy) {
            this.gatePolicy = skipPolicy;
            return this;
        }

        /** A whole gate policy (e.g. a calibrated one read with {@code GatePolicies.read}). */
        public Builder gatePolicy(GatePolicy gatePolicy) {
            this.gatePolicy = gatePolicy;
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

        /** See {@link FfnSkipChatRequestParameters#strictTools()}. */
        public Builder strictTools(Boolean strictTools) {
            this.strictTools = strictTools;
            return this;
        }

        @Override
        public FfnSkipChatRequestParameters build() {
            return new FfnSkipChatRequestParameters(this);
        }
    }
}

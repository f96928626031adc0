package dev.ffnskip.jlama.generate;

import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.util.List;
import java.util.Objects;

/**
 * Decoding settings for one generation.
 *
 * @param maxNewTokens most tokens to generate, the end-of-sequence token included; &gt;= 1
 * @param temperature 0 for greedy decoding (lowest id wins ties, like Jlama), else the sampling temperature
 * @param topP nucleus sampling mass in (0, 1], or null; ignored when greedy
 * @param topK keep only the k most likely tokens, or null; ignored when greedy
 * @param seed sampling seed, or null for a random one
 * @param stopSequences text that ends the generation when it appears; it is not part of the returned text
 * @param gate how decode steps skip FFNs ({@link GatePolicy#DENSE}, a calibrated policy, the paper's
 *     {@link PaperGatePolicy} ...), or null for the model's default ({@code FfnSkipModel.defaultPolicy()})
 * @param recordSteps keep per-step skipped layers and cosines in the statistics (tests, eval)
 * @param constraint restricts the tokens that may be generated (structured output), or null for none
 */
public record GenerationRequest(
    int maxNewTokens,
    double temperature,
    Double topP,
    Integer topK,
    Long seed,
    List<String> stopSequences,
    GatePolicy gate,
    boolean recordSteps,
    TokenConstraint constraint
) {
    public GenerationRequest {
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, was " + maxNewTokens);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + temperature);
        if (topP != null && !(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], was " + topP);
        if (topK != null && topK < 1) throw new IllegalArgumentException("topK must be >= 1, was " + topK);
        stopSequences = List.copyOf(Objects.requireNonNull(stopSequences, "stopSequences"));
        for (String stop : stopSequences) if (stop.isEmpty()) throw new IllegalArgumentException("stop sequences must not be empty");
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
            .maxNewTokens(maxNewTokens)
            .temperature(temperature)
            .topP(topP)
            .topK(topK)
            .seed(seed)
            .stopSequences(stopSequences)
            .gate(gate)
            .recordSteps(recordSteps)
            .constraint(constraint);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public static final class Builder {
        private int maxNewTokens = 256;
        private double temperature;
        private Double topP;
        private Integer topK;
        private Long seed;
        private List<String> stopSequences = List.of();
        private GatePolicy gate;
        private boolean recordSteps;
        private TokenConstraint constraint;

        private Builder() {}

        public Builder maxNewTokens(int maxNewTokens) {
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        public Builder topP(Double topP) {
            this.topP = topP;
            return this;
        }

        public Builder topK(Integer topK) {
            this.topK = topK;
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder stopSequences(List<String> stopSequences) {
            this.stopSequences = stopSequences;
            return this;
        }

        public Builder gate(GatePolicy gate) {
            this.gate = gate;
            return this;
        }

        public Builder recordSteps(boolean recordSteps) {
            this.recordSteps = recordSteps;
            return this;
        }

        public Builder constraint(TokenConstraint constraint) {
            this.constraint = constraint;
            return this;
        }

        public GenerationRequest build() {
            return new GenerationRequest(maxNewTokens, temperature, topP, topK, seed, stopSequences, gate, recordSteps, constraint);
        }
    }
}

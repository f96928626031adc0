package dev.ffnskip.jlama.generate;

import java.util.Set;

/**
 * Restricts which tokens a generation may produce (structured output). The decode loop asks the per-generation
 * {@link State} for the allowed set right before sampling and masks every other token's logit to minus infinity, so
 * greedy decoding and every sampling setting only ever pick allowed tokens. Implementations are immutable and may be
 * shared across requests; {@link #start} makes the mutable per-generation state.
 */
public interface TokenConstraint {
    /**
     * A fresh state for one generation.
     *
     * @param tokens the bytes of the model's tokens (special tokens stand for no text and are never allowed)
     * @param endTokens the model's end-of-sequence tokens, allowed exactly when the output is complete
     * @param vocabularySize the number of logits
     */
    State start(TokenBytes tokens, Set<Integer> endTokens, int vocabularySize);

    /** Short name for response metadata, e.g. {@code json_schema}. */
    String kind();

    /** One generation's progress through the constraint. Not thread-safe. */
    interface State {
        /** Sets bit {@code id} of {@code allowed} (id / 64, id % 64) for each token that may come next, clearing the others. */
        void allowedNext(long[] allowed);

        /** Advances past the sampled token (which {@link #allowedNext} allowed). */
        void accept(int token);

        /** True when the output so far is a complete value. */
        boolean complete();
    }
}

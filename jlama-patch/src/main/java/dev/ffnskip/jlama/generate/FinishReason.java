package dev.ffnskip.jlama.generate;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced one of its end-of-sequence tokens. */
    STOP_TOKEN,
    /** The text reached one of the request's stop sequences (which is cut from the text). */
    STOP_SEQUENCE,
    /** The request's maximum number of new tokens was generated. */
    MAX_TOKENS,
    /** The model's context window is full. */
    CONTEXT_LENGTH,
    /** The caller cancelled the generation. */
    CANCELLED
}

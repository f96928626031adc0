package dev.ffnskip.langchain4j;

import dev.ffnskip.jlama.generate.PromptTooLongException;
import dev.langchain4j.exception.InvalidRequestException;

/**
 * The rendered prompt of a request does not fit the model's context window. An {@link InvalidRequestException}: the
 * same request fails again, so LangChain4j does not retry it; shorten the conversation (e.g. a smaller chat memory
 * window) instead. The cause is jlama-patch's {@link PromptTooLongException}.
 */
public class ContextLengthExceededException extends InvalidRequestException {
    private final int promptTokens;
    private final int contextLength;

    public ContextLengthExceededException(PromptTooLongException cause) {
        super(cause.getMessage(), cause);
        this.promptTokens = cause.promptTokens();
        this.contextLength = cause.contextLength();
    }

    /** Tokens of the rendered prompt (BOS included). */
    public int promptTokens() {
        return promptTokens;
    }

    /** The model's usable context length in tokens. */
    public int contextLength() {
        return contextLength;
    }
}

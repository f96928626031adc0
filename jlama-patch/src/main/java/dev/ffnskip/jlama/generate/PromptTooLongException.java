package dev.ffnskip.jlama.generate;

/** The prompt does not fit into the model's context window. */
public class PromptTooLongException extends IllegalArgumentException {
    private final int promptTokens;
    private final int contextLength;

    public PromptTooLongException(int promptTokens, int contextLength) {
        super("Prompt of " + promptTokens + " tokens does not fit the model's context window of " + contextLength + " tokens");
        this.promptTokens = promptTokens;
        this.contextLength = contextLength;
    }

    public int promptTokens() {
        return promptTokens;
    }

    public int contextLength() {
        return contextLength;
    }
}

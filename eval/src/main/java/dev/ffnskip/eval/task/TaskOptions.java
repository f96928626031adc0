package dev.ffnskip.eval.task;

/**
 * Decoding settings shared by all modes of a run (greedy decoding always).
 *
 * @param maxNewTokens most new tokens per generation (the end token included); 0 = the task's default
 * @param maxTextTokens perplexity / continuation: most text tokens per item (0 = all)
 * @param prefixWords continuation: words of the text used as the prompt
 * @param contextTokens perplexity: leading text tokens that are prefilled dense (as a prompt is) and not scored; the
 *     gate acts on every later token, and perplexity is over the predictions of the tokens after them
 */
public record TaskOptions(int maxNewTokens, int maxTextTokens, int prefixWords, int contextTokens) {
    public TaskOptions {
        if (contextTokens < 0) throw new IllegalArgumentException("--ppl-context must be >= 0, was " + contextTokens);
    }

    public TaskOptions(int maxNewTokens, int maxTextTokens, int prefixWords) {
        this(maxNewTokens, maxTextTokens, prefixWords, 0);
    }

    public int newTokensOr(int taskDefault) {
        return maxNewTokens > 0 ? maxNewTokens : taskDefault;
    }
}

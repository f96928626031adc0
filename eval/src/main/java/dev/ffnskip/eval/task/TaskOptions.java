package dev.ffnskip.eval.task;

/**
 * Decoding settings shared by all modes of a run (greedy decoding always).
 *
 * @param maxNewTokens most new tokens per generation (the end token included); 0 = the task's default
 * @param maxTextTokens perplexity / continuation: most text tokens per item (0 = all)
 * @param prefixWords continuation: words of the text used as the prompt
 */
public record TaskOptions(int maxNewTokens, int maxTextTokens, int prefixWords) {
    public int newTokensOr(int taskDefault) {
        return maxNewTokens > 0 ? maxNewTokens : taskDefault;
    }
}

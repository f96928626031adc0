package dev.ffnskip.eval.cli;

import dev.ffnskip.eval.run.Splits;
import dev.ffnskip.eval.task.Task;
import dev.ffnskip.eval.task.TaskOptions;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Item selection and decoding settings. */
public final class DataOptions {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "At most N items (after the split, in file order; 0 = all).")
    int limit;

    @Option(names = "--split", paramLabel = "S", defaultValue = "all",
        description = "all, calib (ids whose FNV-1a hash is divisible by 5, ~20%) or eval (the rest) (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "0",
        description = "Most new tokens per generation (0 = task default: 24 factoid/context, 96 summarize, 64 tools/continuation/chat).")
    int maxNewTokens;

    @Option(names = "--max-text-tokens", paramLabel = "N", defaultValue = "0", description = "perplexity: most tokens per text (0 = all).")
    int maxTextTokens;

    @Option(names = "--ppl-context", paramLabel = "N", defaultValue = "0",
        description = "perplexity: leading text tokens prefilled dense and not scored; the gate acts on the rest (default: ${DEFAULT-VALUE}; the SmolLM2 reference: 16 with --max-text-tokens 160).")
    int pplContext;

    @Option(names = "--prefix-words", paramLabel = "N", defaultValue = "8", description = "continuation: words of each text used as prompt (default: ${DEFAULT-VALUE}).")
    int prefixWords;

    public void useSplit(String s) {
        this.split = s;
    }

    public void useMaxTextTokens(int n) {
        this.maxTextTokens = n;
    }

    public void useMaxNewTokens(int n) {
        this.maxNewTokens = n;
    }

    public void usePplContext(int n) {
        this.pplContext = n;
    }

    public void useLimit(int n) {
        this.limit = n;
    }

    public int limit() {
        return limit;
    }

    public Splits.Split split() {
        return Splits.Split.parse(split);
    }

    public TaskOptions taskOptions() {
        return new TaskOptions(maxNewTokens, maxTextTokens, prefixWords, pplContext);
    }

    public static Path dataFor(Task task, Path given) {
        return given != null ? given : Shared.eval(task.defaultDataFile());
    }
}

package dev.ffnskip.examples;

import dev.ffnskip.jlama.gate.SkipPolicy;
import picocli.CommandLine.Option;

/** Skip policy options shared by the example commands; unset options keep the shipped default policy's values. */
public final class SkipOptions {
    @Option(names = "--threshold", description = "Skip threshold in (0, 1] (default: the shipped default policy's).")
    Double threshold;

    @Option(names = "--warmup-tokens", description = "Dense decode steps per answer before skipping (default: the policy's).")
    Integer warmupTokens;

    @Option(names = "--no-skip", description = "Run densely (gate off).")
    boolean noSkip;

    public SkipPolicy policy() {
        SkipPolicy.Builder policy = SkipPolicy.defaults().toBuilder();
        if (threshold != null) policy.threshold(threshold);
        if (warmupTokens != null) policy.warmupTokens(warmupTokens);
        if (noSkip) policy.enabled(false);
        return policy.build();
    }
}

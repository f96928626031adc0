package dev.ffnskip.examples;

import dev.ffnskip.jlama.ModelInfo;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.SkipPolicy;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Skip policy options shared by the example commands. Default: the shipped default gate for the model (the calibrated
 * one for skipbench-28m, the paper gate otherwise).
 */
public final class SkipOptions {
    @Option(names = "--policy", paramLabel = "FILE", description = "Gate policy JSON, e.g. written by the eval harness's calibrate.")
    Path policyFile;

    @Option(names = "--threshold", description = "Use the paper gate with this threshold in (0, 1].")
    Double threshold;

    @Option(names = "--warmup-tokens", description = "Use the paper gate with this many dense decode steps per answer.")
    Integer warmupTokens;

    @Option(names = "--no-skip", description = "Run densely (gate off).")
    boolean noSkip;

    public GatePolicy policy(ModelInfo model) {
        if (noSkip) return GatePolicy.DENSE;
        if (threshold != null || warmupTokens != null) {
            SkipPolicy.Builder paper = SkipPolicy.defaults().toBuilder();
            if (threshold != null) paper.threshold(threshold);
            if (warmupTokens != null) paper.warmupTokens(warmupTokens);
            return paper.build();
        }
        if (policyFile != null) return GatePolicies.read(policyFile);
        return GatePolicies.defaultFor(model.name(), model.layers());
    }
}

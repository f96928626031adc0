package dev.ffnskip.examples;

import dev.ffnskip.jlama.FfnSkipModel;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.GateSettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Gate options shared by the example commands, resolved by {@link GateSettings}' one rule: {@code --no-skip} is dense,
 * {@code --policy} a gate file, {@code --threshold}/{@code --warmup-tokens} the paper gate; combining them is an
 * error; nothing is the model's default (its calibration, else dense).
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

    public GateSettings settings() {
        return GateSettings.NONE
            .withDense(noSkip)
            .withPolicy(policyFile == null ? null : GatePolicies.read(policyFile))
            .withThreshold(threshold)
            .withWarmupTokens(warmupTokens);
    }

    /** The gate these options select for {@code model}; throws {@link IllegalArgumentException} for conflicting options. */
    public GatePolicy policy(FfnSkipModel model) {
        return settings().resolve(model.defaultPolicy().policy());
    }
}

package dev.ffnskip.eval.cli;

import dev.ffnskip.eval.run.Policies;
import dev.ffnskip.eval.run.Policies.Mode;
import dev.ffnskip.jlama.gate.GatePolicies;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.GateSettings;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How {@code --mode} and its options turn into a gate policy. */
public final class PolicyOptions {
    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "dense",
        description = "dense, skip (the gate), random (random FFN skip) or layerdrop (early exit) (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--threshold", paramLabel = "T", description = "skip: the paper's single-threshold gate at cosine threshold T (protect 2+2, warm-up 2 unless overridden).")
    Double threshold;

    @Option(names = "--policy", paramLabel = "FILE", description = "skip: a policy JSON (e.g. written by calibrate).")
    Path policyFile;

    @Option(names = "--target-skip", paramLabel = "S",
        description = "random/layerdrop: the share of FFN blocks to skip (drop) over the gated decode steps (= realized ratio with --warmup 0).")
    Double targetSkip;

    @Option(names = "--protect-first", paramLabel = "N", description = "Leading layers that never skip (default 2).")
    Integer protectFirst;

    @Option(names = "--protect-last", paramLabel = "N", description = "Trailing layers that never skip (default 2).")
    Integer protectLast;

    @Option(names = "--warmup", paramLabel = "N", description = "Initial dense decode steps (default: 2 for --threshold, 0 for random/layerdrop).")
    Integer warmup;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "random: seed (default: ${DEFAULT-VALUE}).")
    long seed;

    public Mode mode() {
        return Mode.parse(mode);
    }

    /** @param modelDefault the model's default gate ({@code FfnSkipModel.defaultPolicy()}), used for plain {@code --mode skip} */
    public GatePolicy policy(GatePolicy modelDefault, int layers) {
        Mode m = mode();
        int pf = protectFirst != null ? protectFirst : PaperGatePolicy.DEFAULT_PROTECT_FIRST;
        int pl = protectLast != null ? protectLast : PaperGatePolicy.DEFAULT_PROTECT_LAST;
        if (m != Mode.SKIP && (threshold != null || policyFile != null)) throw new IllegalArgumentException("--threshold and --policy need --mode skip");
        if ((m == Mode.RANDOM || m == Mode.LAYERDROP) && targetSkip == null) throw new IllegalArgumentException("--mode " + m.label() + " needs --target-skip S");
        return switch (m) {
            case DENSE -> GatePolicy.DENSE;
            case SKIP -> {
                if (targetSkip != null) throw new IllegalArgumentException("--target-skip is for random/layerdrop; use calibrate --target-skip to fit the gate");
                // The one rule of GateSettings: a policy file or paper-gate knobs (not both), else the model's default.
                yield GateSettings.NONE
                    .withPolicy(policyFile == null ? null : GatePolicies.read(policyFile))
                    .withThreshold(threshold)
                    .withProtectFirst(protectFirst)
                    .withProtectLast(protectLast)
                    .withWarmupTokens(warmup)
                    .resolve(modelDefault);
            }
            case RANDOM -> Policies.random(targetSkip, layers, pf, pl, warmup != null ? warmup : 0, seed);
            case LAYERDROP -> Policies.layerDrop(targetSkip, pf, pl, warmup != null ? warmup : 0);
        };
    }
}

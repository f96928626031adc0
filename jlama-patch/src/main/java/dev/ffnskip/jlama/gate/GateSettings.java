package dev.ffnskip.jlama.gate;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * What a user asked of the gate, in one vocabulary for every entry point (the LangChain4j builder and request
 * parameters, both command lines and the server's {@code ffn_skip} object), resolved by one rule:
 * <ol>
 *   <li>{@code dense} runs without skipping; it cannot be combined with anything else.</li>
 *   <li>A {@code policy} (a calibrated or hand-written gate, e.g. a file from {@code eval calibrate}) runs as given;
 *       it cannot be combined with paper-gate knobs.</li>
 *   <li>Paper-gate knobs ({@code threshold}, {@code protectFirst}, {@code protectLast}, {@code warmupTokens},
 *       {@code maxSkipFraction}) select the paper's gate ({@link PaperGatePolicy#paperDefault()}) with those values.</li>
 *   <li>Nothing selects the model's default ({@code FfnSkipModel.defaultPolicy()}: its calibration, else dense).</li>
 * </ol>
 * Conflicts are an {@link IllegalArgumentException} naming both settings. Settings given for one request are laid
 * over the configured ones with {@link #over}: a request's dense or policy replaces everything configured, a
 * request's knobs replace the same knobs of a configured paper gate and otherwise select the paper gate.
 */
public record GateSettings(
    boolean dense,
    Optional<GatePolicy> policy,
    OptionalDouble threshold,
    OptionalInt protectFirst,
    OptionalInt protectLast,
    OptionalInt warmupTokens,
    OptionalDouble maxSkipFraction
) {
    public static final GateSettings NONE = new GateSettings(false, Optional.empty(), OptionalDouble.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), OptionalDouble.empty());

    public GateSettings {
        List<String> knobs = knobNames(threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction);
        if (dense && (policy.isPresent() || !knobs.isEmpty())) {
            throw new IllegalArgumentException("dense cannot be combined with " + (policy.isPresent() ? "a policy" : String.join(", ", knobs)));
        }
        if (policy.isPresent() && !knobs.isEmpty()) {
            throw new IllegalArgumentException("give a gate policy or paper-gate settings (" + String.join(", ", knobs) + "), not both");
        }
        // Validate knob values now, so a bad value fails where it was given, not at the first request.
        if (!knobs.isEmpty()) paperGate(threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction);
    }

    public static GateSettings ofDense() {
        return NONE.withDense(true);
    }

    public static GateSettings ofPolicy(GatePolicy policy) {
        return NONE.withPolicy(policy);
    }

    public boolean isEmpty() {
        return !dense && policy.isEmpty() && knobNames(threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction).isEmpty();
    }

    public boolean hasPaperKnobs() {
        return !knobNames(threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction).isEmpty();
    }

    /** The gate these settings select; {@code modelDefault} when they select nothing. */
    public GatePolicy resolve(GatePolicy modelDefault) {
        if (dense) return GatePolicy.DENSE;
        if (policy.isPresent()) return policy.get();
        if (hasPaperKnobs()) return paperGate(threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction);
        return modelDefault;
    }

    /** These settings (given for one request) laid over {@code configured}; see the class comment. */
    public GateSettings over(GateSettings configured) {
        if (isEmpty()) return configured;
        if (dense || policy.isPresent() || !configured.hasPaperKnobs()) return this;
        return new GateSettings(
            false,
            Optional.empty(),
            threshold.isPresent() ? threshold : configured.threshold,
            protectFirst.isPresent() ? protectFirst : configured.protectFirst,
            protectLast.isPresent() ? protectLast : configured.protectLast,
            warmupTokens.isPresent() ? warmupTokens : configured.warmupTokens,
            maxSkipFraction.isPresent() ? maxSkipFraction : configured.maxSkipFraction
        );
    }

    private static PaperGatePolicy paperGate(OptionalDouble threshold, OptionalInt protectFirst, OptionalInt protectLast, OptionalInt warmupTokens, OptionalDouble maxSkipFraction) {
        PaperGatePolicy.Builder b = PaperGatePolicy.paperDefault().toBuilder();
        threshold.ifPresent(b::threshold);
        protectFirst.ifPresent(b::protectFirst);
        protectLast.ifPresent(b::protectLast);
        warmupTokens.ifPresent(b::warmupTokens);
        maxSkipFraction.ifPresent(b::maxSkipFraction);
        return b.build();
    }

    public GateSettings withDense(boolean value) {
        return new GateSettings(value, policy, threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction);
    }

    public GateSettings withPolicy(GatePolicy value) {
        return new GateSettings(dense, Optional.ofNullable(value), threshold, protectFirst, protectLast, warmupTokens, maxSkipFraction);
    }

    public GateSettings withThreshold(Double value) {
        return new GateSettings(dense, policy, value == null ? OptionalDouble.empty() : OptionalDouble.of(value), protectFirst, protectLast, warmupTokens, maxSkipFraction);
    }

    public GateSettings withProtectFirst(Integer value) {
        return new GateSettings(dense, policy, threshold, value == null ? OptionalInt.empty() : OptionalInt.of(value), protectLast, warmupTokens, maxSkipFraction);
    }

    public GateSettings withProtectLast(Integer value) {
        return new GateSettings(dense, policy, threshold, protectFirst, value == null ? OptionalInt.empty() : OptionalInt.of(value), warmupTokens, maxSkipFraction);
    }

    public GateSettings withWarmupTokens(Integer value) {
        return new GateSettings(dense, policy, threshold, protectFirst, protectLast, value == null ? OptionalInt.empty() : OptionalInt.of(value), maxSkipFraction);
    }

    public GateSettings withMaxSkipFraction(Double value) {
        return new GateSettings(dense, policy, threshold, protectFirst, protectLast, warmupTokens, value == null ? OptionalDouble.empty() : OptionalDouble.of(value));
    }

    private static List<String> knobNames(OptionalDouble threshold, OptionalInt protectFirst, OptionalInt protectLast, OptionalInt warmupTokens, OptionalDouble maxSkipFraction) {
        List<String> names = new ArrayList<>();
        if (threshold.isPresent()) names.add("threshold");
        if (protectFirst.isPresent()) names.add("protectFirst");
        if (protectLast.isPresent()) names.add("protectLast");
        if (warmupTokens.isPresent()) names.add("warmupTokens");
        if (maxSkipFraction.isPresent()) names.add("maxSkipFraction");
        return names;
    }
}

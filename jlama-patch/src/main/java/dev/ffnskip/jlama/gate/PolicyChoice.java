package dev.ffnskip.jlama.gate;

import java.util.Objects;
import java.util.Optional;

/**
 * The gate a loaded model runs by default, and why.
 *
 * @param policy the default gate ({@link GatePolicy#DENSE} unless a calibration for these weights and this precision
 *     met its quality budget)
 * @param calibration the calibration it comes from, if any
 * @param reason one sentence for logs, response metadata and the A/B output
 */
public record PolicyChoice(GatePolicy policy, Optional<Calibration> calibration, String reason) {
    public PolicyChoice {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(calibration, "calibration");
        Objects.requireNonNull(reason, "reason");
    }

    /** Whether the default may skip anything. */
    public boolean skips() {
        return policy.mayDeviateFromDense();
    }
}

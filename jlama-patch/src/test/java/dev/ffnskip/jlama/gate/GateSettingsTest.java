package dev.ffnskip.jlama.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The one precedence rule every entry point uses. */
class GateSettingsTest {
    private static final GatePolicy CALIBRATED = new FixedLayerSkip(java.util.Set.of(3), 1);

    @Test
    void nothingSelectsTheModelDefault() {
        assertThat(GateSettings.NONE.resolve(CALIBRATED)).isSameAs(CALIBRATED);
        assertThat(GateSettings.NONE.resolve(GatePolicy.DENSE)).isSameAs(GatePolicy.DENSE);
    }

    @Test
    void denseAndPolicyAndKnobsEachSelectTheirGate() {
        assertThat(GateSettings.ofDense().resolve(CALIBRATED)).isSameAs(GatePolicy.DENSE);
        GatePolicy given = PaperGatePolicy.paperDefault().toBuilder().threshold(0.9).build();
        assertThat(GateSettings.ofPolicy(given).resolve(CALIBRATED)).isSameAs(given);
        assertThat(GateSettings.NONE.withThreshold(0.95).withWarmupTokens(0).resolve(CALIBRATED))
            .isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.95).warmupTokens(0).build());
    }

    @Test
    void conflictsAreErrorsNamingBothSides() {
        assertThatThrownBy(() -> GateSettings.ofDense().withThreshold(0.9)).hasMessageContaining("dense").hasMessageContaining("threshold");
        assertThatThrownBy(() -> GateSettings.ofPolicy(CALIBRATED).withProtectFirst(1)).hasMessageContaining("not both").hasMessageContaining("protectFirst");
        assertThatThrownBy(() -> GateSettings.ofDense().withPolicy(CALIBRATED)).hasMessageContaining("dense cannot be combined with a policy");
        assertThatThrownBy(() -> GateSettings.NONE.withThreshold(1.5)).hasMessageContaining("threshold must be in (0, 1]");
    }

    @Test
    void requestSettingsLayOverConfiguredOnes() {
        GateSettings configured = GateSettings.NONE.withThreshold(0.9).withWarmupTokens(0);
        // a request knob replaces the same knob of a configured paper gate and keeps the others
        assertThat(GateSettings.NONE.withThreshold(0.97).over(configured).resolve(CALIBRATED))
            .isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.97).warmupTokens(0).build());
        // a request's dense or policy replaces everything configured
        assertThat(GateSettings.ofDense().over(configured).resolve(CALIBRATED)).isSameAs(GatePolicy.DENSE);
        assertThat(GateSettings.ofPolicy(CALIBRATED).over(configured).resolve(GatePolicy.DENSE)).isSameAs(CALIBRATED);
        // an empty request keeps the configured settings; knobs over a configured policy select the paper gate
        assertThat(GateSettings.NONE.over(configured)).isEqualTo(configured);
        assertThat(GateSettings.NONE.withThreshold(0.99).over(GateSettings.ofPolicy(CALIBRATED)).resolve(GatePolicy.DENSE))
            .isEqualTo(PaperGatePolicy.paperDefault().toBuilder().threshold(0.99).build());
    }
}

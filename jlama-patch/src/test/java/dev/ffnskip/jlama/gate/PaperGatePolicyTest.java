package dev.ffnskip.jlama.gate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PaperGatePolicyTest {
    @Test
    void defaultsAreThePaperPolicyMeasuredOnSkipbench() {
        PaperGatePolicy p = PaperGatePolicy.paperDefault();
        assertThat(p.enabled()).isTrue();
        assertThat(p.threshold()).isEqualTo(0.98);
        assertThat(p.protectFirst()).isEqualTo(2);
        assertThat(p.protectLast()).isEqualTo(2);
        assertThat(p.warmupTokens()).isEqualTo(2);
        assertThat(p.maxSkipPerToken(16)).isEqualTo(16);
    }

    @ParameterizedTest
    @ValueSource(doubles = { 0.0, -0.1, 1.0000001, 1.5, Double.NaN })
    void thresholdOutsideUnitIntervalIsRejected(double threshold) {
        assertThatThrownBy(() -> PaperGatePolicy.builder().threshold(threshold).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("threshold must be in (0, 1]");
    }

    @Test
    void negativeCountsAndCapsOutsideUnitIntervalAreRejected() {
        assertThatThrownBy(() -> PaperGatePolicy.builder().warmupTokens(-1).build()).hasMessageContaining("warmupTokens must be >= 0");
        assertThatThrownBy(() -> PaperGatePolicy.builder().protectFirst(-1).build()).hasMessageContaining("protectFirst must be >= 0");
        assertThatThrownBy(() -> PaperGatePolicy.builder().protectLast(-2).build()).hasMessageContaining("protectLast must be >= 0");
        assertThatThrownBy(() -> PaperGatePolicy.builder().maxSkipFraction(1.5).build()).hasMessageContaining("cap");
        assertThatThrownBy(() -> PaperGatePolicy.builder().maxSkipFraction(-0.1).build()).hasMessageContaining("cap");
    }

    @Test
    void protectedLayersMustLeaveSomethingToSkip() {
        PaperGatePolicy p = PaperGatePolicy.builder().protectFirst(8).protectLast(8).build();
        assertThatThrownBy(() -> p.newGate(16)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("protected layers");
        assertThat(PaperGatePolicy.builder().protectFirst(8).protectLast(7).build().newGate(16)).isNotNull();
    }

    @Test
    void perLayerThresholdsMustMatchDepthAndRange() {
        PaperGatePolicy wrongSize = PaperGatePolicy.builder().layerThresholds(List.of(0.9, 0.9)).build();
        assertThatThrownBy(() -> wrongSize.newGate(16)).hasMessageContaining("layerThresholds has 2 entries");
        assertThatThrownBy(() -> PaperGatePolicy.builder().layerThresholds(List.of(0.9, 0.0)).build()).hasMessageContaining("layerThresholds[1]");
        List<Double> never = Collections.nCopies(16, Double.POSITIVE_INFINITY);
        assertThat(PaperGatePolicy.builder().layerThresholds(never).build().thresholdFor(3)).isInfinite();
    }

    @Test
    void disabledPolicyIsDense() {
        FfnGate gate = PaperGatePolicy.disabled().newGate(16);
        gate.beginStep(10);
        gate.observe(0, 1f, 0f);
        for (int l = 0; l < 16; l++) assertThat(gate.action(l)).isEqualTo(LayerAction.COMPUTE);
    }

    @Test
    void saturationIsStickyWithinATokenAndResetsForTheNext() {
        FfnGate gate = PaperGatePolicy.builder().threshold(0.9).protectFirst(1).protectLast(1).warmupTokens(0).build().newGate(6);
        gate.beginStep(0);
        assertThat(gate.action(0)).isEqualTo(LayerAction.COMPUTE);
        gate.observe(0, 0.95f, 0f); // protected layer saturates the token
        assertThat(gate.action(1)).isEqualTo(LayerAction.SKIP_FFN);
        assertThat(gate.action(2)).isEqualTo(LayerAction.SKIP_FFN);
        assertThat(gate.action(3)).isEqualTo(LayerAction.SKIP_FFN);
        assertThat(gate.action(4)).isEqualTo(LayerAction.SKIP_FFN);
        assertThat(gate.action(5)).isEqualTo(LayerAction.COMPUTE); // protected
        gate.beginStep(1);
        assertThat(gate.action(0)).isEqualTo(LayerAction.COMPUTE);
        gate.observe(0, 0.5f, 0f);
        assertThat(gate.action(1)).isEqualTo(LayerAction.COMPUTE);
        gate.observe(1, 0.9f, 0f); // equality triggers
        assertThat(gate.action(2)).isEqualTo(LayerAction.SKIP_FFN);
    }

    @Test
    void fixedLayerSkipPicksMiddleLayers() {
        assertThat(FixedLayerSkip.middleLayers(16, 0.25, 0).layers()).containsExactlyInAnyOrder(6, 7, 8, 9);
        assertThat(FixedLayerSkip.middleLayers(16, 0.0, 0).mayDeviateFromDense()).isFalse();
    }
}

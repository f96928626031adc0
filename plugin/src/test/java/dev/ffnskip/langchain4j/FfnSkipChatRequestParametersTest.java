package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ffnskip.jlama.gate.FixedLayerSkip;
import dev.ffnskip.jlama.gate.GatePolicy;
import dev.ffnskip.jlama.gate.GateSettings;
import dev.ffnskip.jlama.gate.PaperGatePolicy;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Merging and validation of the request parameters (no model needed). */
class FfnSkipChatRequestParametersTest {
    private static final PaperGatePolicy BASE = PaperGatePolicy.paperDefault();
    private static final GatePolicy CALIBRATED = new FixedLayerSkip(java.util.Set.of(3), 1);

    @Test
    void overrideWithKeepsWhatTheRequestDoesNotSet() {
        FfnSkipChatRequestParameters defaults = FfnSkipChatRequestParameters.builder()
            .temperature(0.3)
            .maxOutputTokens(100)
            .skipThreshold(0.9)
            .seed(1L)
            .build();
        FfnSkipChatRequestParameters merged = defaults.overrideWith(ChatRequestParameters.builder().temperature(0.0).stopSequences("x").build());
        assertThat(merged.temperature()).isEqualTo(0.0);
        assertThat(merged.maxOutputTokens()).isEqualTo(100);
        assertThat(merged.stopSequences()).containsExactly("x");
        assertThat(merged.skipThreshold()).isEqualTo(0.9);
        assertThat(merged.seed()).isEqualTo(1L);

        // A later layer's knobs replace the same knobs and keep the others (GateSettings.over).
        FfnSkipChatRequestParameters again = merged.overrideWith(FfnSkipChatRequestParameters.builder().maxSkipFraction(0.5).build());
        assertThat(again.skipThreshold()).isEqualTo(0.9);
        GatePolicy effective = again.gateSettings().resolve(GatePolicy.DENSE);
        assertThat(effective).isEqualTo(BASE.toBuilder().threshold(0.9).maxSkipFraction(0.5).build());
        // A later skipEnabled(false) is dense and replaces every knob.
        FfnSkipChatRequestParameters off = again.overrideWith(FfnSkipChatRequestParameters.builder().skipEnabled(false).build());
        assertThat(off.skipEnabled()).isFalse();
        assertThat(off.skipThreshold()).isNull();
        assertThat(off.gateSettings().resolve(BASE)).isEqualTo(GatePolicy.DENSE);
        // skipEnabled(true) lifts an inherited dense: back to the model's default.
        FfnSkipChatRequestParameters on = off.overrideWith(FfnSkipChatRequestParameters.builder().skipEnabled(true).build());
        assertThat(on.gateSettings().resolve(CALIBRATED)).isEqualTo(CALIBRATED);
    }

    @Test
    void conflictingSettingsInOneLayerAreAnError() {
        assertThatThrownBy(() -> FfnSkipChatRequestParameters.builder().skipEnabled(false).maxSkipFraction(0.5).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("Conflicting skip settings: dense cannot be combined with maxSkipFraction");
        assertThatThrownBy(() -> FfnSkipChatRequestParameters.builder().skipPolicy(BASE).skipThreshold(0.8).build())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not both");
    }

    @Test
    void aWholePolicyReplacesEarlierKnobsAndLaterKnobsSelectThePaperGate() {
        PaperGatePolicy custom = PaperGatePolicy.builder().threshold(0.95).protectFirst(3).build();
        FfnSkipChatRequestParameters merged = FfnSkipChatRequestParameters.builder().skipThreshold(0.5).warmupTokens(9).build()
            .overrideWith(FfnSkipChatRequestParameters.builder().skipPolicy(custom).build());
        assertThat(merged.skipThreshold()).isNull();
        assertThat(merged.warmupTokens()).isNull();
        assertThat(merged.gateSettings().resolve(GatePolicy.DENSE)).isEqualTo(custom);
        // knobs over a policy select the paper gate with those knobs (GateSettings' rule), not the policy with them
        FfnSkipChatRequestParameters knob = merged.overrideWith(FfnSkipChatRequestParameters.builder().protectLast(1).build());
        assertThat(knob.skipPolicy()).isNull();
        assertThat(knob.gateSettings().resolve(CALIBRATED)).isEqualTo(BASE.toBuilder().protectLast(1).build());
    }

    @Test
    void withoutSkipSettingsTheConfiguredSettingsStand() {
        FfnSkipChatRequestParameters none = FfnSkipChatRequestParameters.builder().temperature(1.0).build();
        assertThat(none.hasSkipSettings()).isFalse();
        GateSettings configured = GateSettings.NONE.withThreshold(0.9);
        assertThat(none.gateSettingsOver(configured)).isSameAs(configured);
    }

    @Test
    void defaultedByPrefersThisOverTheGivenDefaults() {
        FfnSkipChatRequestParameters request = FfnSkipChatRequestParameters.builder().temperature(0.0).skipEnabled(false).build();
        FfnSkipChatRequestParameters merged = request.defaultedBy(ChatRequestParameters.builder().temperature(0.7).topK(5).build());
        assertThat(merged.temperature()).isEqualTo(0.0);
        assertThat(merged.topK()).isEqualTo(5);
        assertThat(merged.skipEnabled()).isFalse();
    }

    @Test
    void equalsHashCodeAndToBuilder() {
        FfnSkipChatRequestParameters p = FfnSkipChatRequestParameters.builder()
            .temperature(0.2)
            .topP(0.9)
            .topK(3)
            .stopSequences(List.of("a"))
            .skipThreshold(0.8)
            .maxSkipFraction(0.5)
            .protectFirst(1)
            .protectLast(1)
            .warmupTokens(0)
            .seed(7L)
            .build();
        FfnSkipChatRequestParameters copy = p.toBuilder().build();
        assertThat(copy).isEqualTo(p).hasSameHashCodeAs(p);
        assertThat(copy.toBuilder().seed(8L).build()).isNotEqualTo(p);
        assertThat(p.toString()).contains("skipThreshold=0.8", "seed=7", "temperature=0.2");
    }
}

package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.gate.SkipPolicy;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Merging and validation of the request parameters (no model needed). */
class FfnSkipChatRequestParametersTest {
    private static final SkipPolicy BASE = SkipPolicy.paperDefault();

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

        FfnSkipChatRequestParameters again = merged.overrideWith(FfnSkipChatRequestParameters.builder().skipEnabled(false).maxSkipFraction(0.5).build());
        assertThat(again.skipEnabled()).isFalse();
        assertThat(again.skipThreshold()).isEqualTo(0.9);
        SkipPolicy effective = again.applySkipSettings(BASE);
        assertThat(effective.enabled()).isFalse();
        assertThat(effective.threshold()).isEqualTo(0.9);
        assertThat(effective.maxSkipFraction()).isEqualTo(0.5);
        assertThat(effective.protectFirst()).isEqualTo(BASE.protectFirst());
    }

    @Test
    void aWholePolicyReplacesEarlierKnobs() {
        SkipPolicy custom = SkipPolicy.builder().threshold(0.95).protectFirst(3).build();
        FfnSkipChatRequestParameters merged = FfnSkipChatRequestParameters.builder().skipThreshold(0.5).warmupTokens(9).build()
            .overrideWith(FfnSkipChatRequestParameters.builder().skipPolicy(custom).protectLast(1).build());
        assertThat(merged.skipThreshold()).isNull();
        assertThat(merged.warmupTokens()).isNull();
        assertThat(merged.applySkipSettings(BASE)).isEqualTo(custom.toBuilder().protectLast(1).build());
    }

    @Test
    void aSingleThresholdReplacesPerLayerThresholds() {
        SkipPolicy perLayer = SkipPolicy.builder().layerThresholds(java.util.Collections.nCopies(16, 0.97)).build();
        SkipPolicy effective = FfnSkipChatRequestParameters.builder().skipThreshold(0.9).build().applySkipSettings(perLayer);
        assertThat(effective.layerThresholds()).isEmpty();
        assertThat(effective.threshold()).isEqualTo(0.9);
    }

    @Test
    void withoutSkipSettingsThePolicyIsUnchanged() {
        FfnSkipChatRequestParameters none = FfnSkipChatRequestParameters.builder().temperature(1.0).build();
        assertThat(none.hasSkipSettings()).isFalse();
        assertThat(none.applySkipSettings(BASE)).isSameAs(BASE);
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
            .skipPolicy(BASE)
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

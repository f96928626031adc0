package dev.ffnskip.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ffnskip.jlama.generate.FinishReason;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import org.junit.jupiter.api.Test;

/** toBuilder keeps the type and every field, which AiServices relies on when it sums token usage. */
class FfnSkipChatResponseMetadataTest {
    private static FfnSkipChatResponseMetadata sample() {
        return FfnSkipChatResponseMetadata.builder()
            .id("ffnskip-1")
            .modelName("skipbench-28m")
            .tokenUsage(new TokenUsage(10, 5))
            .finishReason(dev.langchain4j.model.output.FinishReason.STOP)
            .engineFinishReason(FinishReason.STOP_TOKEN)
            .skipPolicy("ffn-skip thr=0.98 protect=2+2 warmup=2")
            .layers(4)
            .decodeSteps(4)
            .skipRatio(0.25)
            .ffnSkipped(4)
            .ffnComputed(12)
            .ffnSkippedPerLayer(new long[] {0, 2, 2, 0})
            .ffnComputedPerLayer(new long[] {4, 2, 2, 4})
            .prefillMillis(1.5)
            .decodeMillis(8.0)
            .decodeTokensPerSecond(500)
            .tokenIds(new int[] {7, 8, 9, 10, 5})
            .build();
    }

    @Test
    void toBuilderKeepsTypeAndFields() {
        FfnSkipChatResponseMetadata original = sample();
        ChatResponseMetadata.Builder<?> viaBase = ((ChatResponseMetadata) original).toBuilder();
        ChatResponseMetadata summed = viaBase.tokenUsage(new TokenUsage(30, 9)).build();
        assertThat(summed).isInstanceOf(FfnSkipChatResponseMetadata.class);
        FfnSkipChatResponseMetadata m = (FfnSkipChatResponseMetadata) summed;
        assertThat(m.tokenUsage()).isEqualTo(new TokenUsage(30, 9));
        assertThat(m.id()).isEqualTo("ffnskip-1");
        assertThat(m.modelName()).isEqualTo("skipbench-28m");
        assertThat(m.finishReason()).isEqualTo(dev.langchain4j.model.output.FinishReason.STOP);
        assertThat(m.engineFinishReason()).isEqualTo(FinishReason.STOP_TOKEN);
        assertThat(m.skipRatio()).isEqualTo(0.25);
        assertThat(m.ffnSkippedPerLayer()).containsExactly(0, 2, 2, 0);
        assertThat(m.ffnComputedPerLayer()).containsExactly(4, 2, 2, 4);
        assertThat(m.ffnTotal()).isEqualTo(16);
        assertThat(m.tokenIds()).containsExactly(7, 8, 9, 10, 5);
        assertThat(m.decodeTokensPerSecond()).isEqualTo(500);
        assertThat(original.toBuilder().build()).isEqualTo(original).hasSameHashCodeAs(original);
        assertThat(m).isNotEqualTo(original);
    }

    @Test
    void arraysAreDefensivelyCopied() {
        long[] perLayer = {1, 2};
        FfnSkipChatResponseMetadata m = FfnSkipChatResponseMetadata.builder().ffnSkippedPerLayer(perLayer).build();
        perLayer[0] = 99;
        m.ffnSkippedPerLayer()[1] = 99;
        assertThat(m.ffnSkippedPerLayer()).containsExactly(1, 2);
        assertThat(m.toString()).contains("ffnSkippedPerLayer=[1, 2]");
    }
}

package dev.langchain4j.model.chat.common;

import dev.ffnskip.langchain4j.conformance.ConformanceModel;
import dev.ffnskip.langchain4j.conformance.SmolLm2Limits;
import dev.langchain4j.model.chat.StreamingChatModel;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link FfnSkipStreamingChatModelIT} on SmolLM2-135M-Instruct; the tests disabled here ask for what the model cannot do. */
class SmolLm2StreamingChatModelIT extends FfnSkipStreamingChatModelIT {
    @Override
    protected ConformanceModel conformanceModel() {
        return ConformanceModel.SMOLLM2_135M;
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_TRANSLATION)
    protected void should_respect_system_message(StreamingChatModel model) {
        super.should_respect_system_message(model);
    }

    @Override
    @ParameterizedTest
    @MethodSource("models")
    @Disabled(SmolLm2Limits.NO_RECALL)
    protected void should_respect_multiple_messages(StreamingChatModel model) {
        super.should_respect_multiple_messages(model);
    }
}
